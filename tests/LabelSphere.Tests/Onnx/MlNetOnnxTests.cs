using LabelSphere.Data;
using LabelSphere.Onnx;
using LabelSphere.Tests.Cli;
using LabelSphere.Tests.Training;
using LabelSphere.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LabelSphere.Tests.Onnx;

/// <summary>An exported model in an ML.NET pipeline: <c>ApplyOnnxModel</c> gives predict's scores.</summary>
[Collection(TorchCollection.Name)]
public sealed class MlNetOnnxTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    sealed class Row
    {
        public float[] Features { get; set; } = [];
    }

    sealed class Scored
    {
        [ColumnName("scores")]
        public float[] Scores { get; set; } = [];
    }

    [Fact]
    public void An_exported_model_scores_rows_in_an_ml_net_pipeline_as_predict_does()
    {
        // Given a cosine-logit model trained on the synthetic world and exported
        var world = TrainingFixtures.Synthetic(300);
        var data = new LabelData(new AnnotationSet(world.Vocabulary, world.Labels,
            new ReadReport("synthetic", AnnotationFormat.ExtremeText, world.Count, 0, 0, []), world.Features));
        using var classifier = LabelClassifier.Fit(data, new LabelClassifierOptions
        {
            Training = new TrainingOptions { Head = HeadKind.CosineLogit, Hidden = [16], BatchSize = 32, Steps = 30, LearningRate = 3e-3, EvalEvery = 0 },
            Embedding = world.Embed(6),
            ValidationFraction = 0,
        }, cancellationToken: TestContext.Current.CancellationToken);
        var folder = Path.Combine(dir, "model");
        classifier.Save(folder);
        var onnx = Path.Combine(dir, "model.onnx");
        OnnxExport.Export(folder, onnx);

        // When ML.NET applies it to rows of 40 features
        var rows = Enumerable.Range(0, 20).Select(r =>
        {
            var row = new float[40];
            world.Features.CopyRowTo(r, row);
            return new Row { Features = row };
        }).ToArray();
        var ml = new MLContext(seed: 0);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 40);
        schema[nameof(Row.Features)].ColumnName = "features";
        var view = ml.Data.LoadFromEnumerable(rows, schema);
        var pipeline = ml.Transforms.ApplyOnnxModel(outputColumnNames: ["scores"], inputColumnNames: ["features"], modelFile: onnx);
        var scored = ml.Data.CreateEnumerable<Scored>(pipeline.Fit(view).Transform(view), reuseRowObject: false).ToArray();

        // Then every row's label scores are predict's
        var expected = classifier.PredictBatch(rows.Select(r => r.Features).ToArray(), classifier.Vocabulary.Count, TestContext.Current.CancellationToken);
        Assert.Equal(rows.Length, scored.Length);
        for (int r = 0; r < rows.Length; r++)
            foreach (var label in expected[r])
                Assert.Equal(label.Score, scored[r].Scores[label.Id], 1e-4);
    }
}
