// A LabelSphere model in ML.NET: exported to one ONNX graph, then scored by ApplyOnnxModel as predict scores it.
using LabelSphere;
using LabelSphere.Embedding;
using LabelSphere.Onnx;
using LabelSphere.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

// 1. A small cosine-logit model fitted on the QuickStart sample's data, saved to a folder.
var data = Path.Combine(AppContext.BaseDirectory, "data");
var train = LabelData.Read(Path.Combine(data, "train_data.txt"));
var test = LabelData.Read(Path.Combine(data, "test_data.txt"));
var counts = CooccurrenceCounts.Count(train.Annotations.Vocabulary, train.Annotations.Labels);
using var classifier = LabelClassifier.Fit(train, new LabelClassifierOptions
{
    Embedding = LabelEmbedding.Fit(counts, new EmbeddingOptions { Dimension = 16 }),
    Training = new TrainingOptions { Head = HeadKind.CosineLogit, Hidden = [64], Steps = 100, EvalEvery = 0 },
});
var folder = Directory.CreateTempSubdirectory("labelsphere-mlnet-").FullName;
classifier.Save(Path.Combine(folder, "model"));

// 2. Export it (as `labelsphere export` does): raw feature vectors in, every label's score and the top 5 out.
var onnx = Path.Combine(folder, "model.onnx");
var exported = OnnxExport.Export(Path.Combine(folder, "model"), onnx);
Console.WriteLine($"exported {exported.Features} features in, {exported.Labels} label scores out ({exported.Bytes / 1024} KB)");

// 3. ML.NET: the test rows as a column 'features' of F floats; the graph adds the column 'scores'.
int width = exported.Features!.Value;
var features = test.Annotations.Features!;
var rows = new Row[features.Rows];
for (int r = 0; r < rows.Length; r++)
{
    rows[r] = new Row { Features = new float[width] };
    features.CopyRowTo(r, rows[r].Features);
}
var ml = new MLContext(seed: 0);
var schema = SchemaDefinition.Create(typeof(Row));
schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
schema[nameof(Row.Features)].ColumnName = "features";
var view = ml.Data.LoadFromEnumerable(rows, schema);
var pipeline = ml.Transforms.ApplyOnnxModel(outputColumnNames: ["scores"], inputColumnNames: ["features"], modelFile: onnx);
var scored = ml.Data.CreateEnumerable<Scored>(pipeline.Fit(view).Transform(view), reuseRowObject: false).ToArray();

// 4. Every label's score is predict's.
var expected = classifier.PredictBatch(rows.Select(r => r.Features).ToArray(), top: classifier.Vocabulary.Count);
double worst = 0;
for (int r = 0; r < rows.Length; r++)
    foreach (var label in expected[r]) worst = Math.Max(worst, Math.Abs(label.Score - scored[r].Scores[label.Id]));
Console.WriteLine($"ML.NET scored {rows.Length} test rows; largest difference from predict's scores: {worst:E1}");
Directory.Delete(folder, recursive: true);
return worst <= 1e-4 ? 0 : 1;

sealed class Row
{
    public float[] Features { get; set; } = [];
}

sealed class Scored
{
    [ColumnName("scores")]
    public float[] Scores { get; set; } = [];
}
