// LabelSphere end to end: data in, label embedding, training, prediction, evaluation, save and load.
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Training;

// 1. Data in: Extreme Classification text files (label ids, then feature:value pairs), label names beside them.
var data = Path.Combine(AppContext.BaseDirectory, "data");
var train = AnnotationReader.Read(Path.Combine(data, "train_data.txt"));
var test = AnnotationReader.Read(Path.Combine(data, "test_data.txt"));
Console.WriteLine($"{train.Count} training and {test.Count} test instances, {train.Vocabulary.Count} labels");

// 2. Embed the labels: PMI of their co-occurrences, factorised; nearby labels go together.
var embedding = LabelEmbedding.Fit(CooccurrenceCounts.Count(train.Vocabulary, train.Labels), new EmbeddingOptions { Dimension = 16 });
var label = train.Vocabulary.Names[0];
Console.WriteLine($"closest to {label}: {string.Join(", ", embedding.Nearest(label, top: 3).Select(l => $"{l.Name} {l.Score:F2}"))}");

// 3. Fit a network that regresses each instance onto the embedding (the paper's cosine head); Train saves it.
var scaling = FeatureTransform.Fit(train.Features!, FeatureScaling.L2);
var run = new TrainingRun
{
    Train = new FeatureSource(train.Features!, train.Labels, train.Vocabulary, scaling),
    Embedding = embedding,
    Features = scaling,
    Options = new TrainingOptions { Head = HeadKind.Embedding, Features = FeatureScaling.L2, Hidden = [128], Steps = 300, EvalEvery = 300 },
    Output = Path.Combine(Path.GetTempPath(), $"labelsphere-quickstart-{Guid.NewGuid():N}"),
};
var result = Trainer.Train(run);
Console.WriteLine($"trained {result.Step} steps, final loss {result.Losses[^1]:F3}; model in {result.ModelFolder}");

// 4. Load the saved model and predict the top 3 labels of the first test instances.
using var model = Predictor.Load(result.ModelFolder!);
var (inputs, _) = model.FeatureSource(test);
var ranked = model.Predict(inputs, top: 3);
for (int i = 0; i < 3; i++)
    Console.WriteLine($"instance {i}: {string.Join(", ", ranked[i].Select(l => $"{l.Name} {l.Score:F2}"))}");

// 5. Evaluate on the test set (labels the model was trained on).
var (scored, _) = model.FeatureSource(test, trainedLabelsOnly: true);
var metrics = model.Evaluate(scored);
Console.WriteLine($"MAP@100 {metrics.PaperMap:F3}, P@1 {metrics.Instances.PrecisionAt(1):F3}");
Directory.Delete(run.Output, recursive: true);
