// LabelSphere end to end: data in, label embedding, training, prediction, evaluation, save and load.
using LabelSphere;
using LabelSphere.Embedding;
using LabelSphere.Training;

// 1. Data in: Extreme Classification text files (label ids, then feature:value pairs), label names beside them.
var data = Path.Combine(AppContext.BaseDirectory, "data");
var train = LabelData.Read(Path.Combine(data, "train_data.txt"));
var test = LabelData.Read(Path.Combine(data, "test_data.txt"));
Console.WriteLine($"{train.Count} training and {test.Count} test instances, {train.Annotations.Vocabulary.Count} labels");

// 2. Embed the labels: PMI of their co-occurrences, factorised; nearby labels go together.
var counts = CooccurrenceCounts.Count(train.Annotations.Vocabulary, train.Annotations.Labels);
var embedding = LabelEmbedding.Fit(counts, new EmbeddingOptions { Dimension = 16 });
var label = embedding.Vocabulary.Names[0];
Console.WriteLine($"closest to {label}: {string.Join(", ", embedding.Nearest(label, top: 3).Select(l => $"{l.Name} {l.Score:F2}"))}");

// 3. Fit a network that regresses each instance onto the embedding (the paper's cosine head), in memory.
var options = new LabelClassifierOptions
{
    Embedding = embedding,
    Training = new TrainingOptions { Head = HeadKind.Embedding, Scaling = FeatureScaling.L2, Hidden = [128], Steps = 300, EvalEvery = 300 },
};
using var classifier = LabelClassifier.Fit(train, options);
Console.WriteLine($"trained {classifier.Training!.Step} steps, final loss {classifier.Training.Losses[^1]:F3}");

// 4. Predict the top 3 labels of an instance from its raw features (dense), and of every test instance (one batch).
var features = new float[classifier.FeatureCount!.Value];
features[0] = 1;
Console.WriteLine($"feature 0 alone: {string.Join(", ", classifier.Predict(features, top: 3).Select(l => $"{l.Name} {l.Score:F2}"))}");
var ranked = classifier.PredictBatch(test, top: 3);
for (int i = 0; i < 3; i++)
    Console.WriteLine($"instance {i}: {string.Join(", ", ranked[i].Select(l => $"{l.Name} {l.Score:F2}"))}");

// 5. Evaluate on the test set; classes are weighted by the training label counts the model records.
var metrics = classifier.Evaluate(test);
Console.WriteLine($"MAP@100 {metrics.PaperMap:F3}, class-weighted {metrics.WeightedPaperMap:F3}, P@1 {metrics.Instances.PrecisionAt(1):F3}");

// 6. Save, load, and check that the loaded model ranks as the fitted one.
var folder = Path.Combine(Path.GetTempPath(), $"labelsphere-quickstart-{Guid.NewGuid():N}");
classifier.Save(folder);
using (var loaded = LabelClassifier.Load(folder))
    Console.WriteLine($"loaded from {folder}: same ranking {loaded.PredictBatch(test, top: 3)[0].SequenceEqual(ranked[0])}");
Directory.Delete(folder, recursive: true);
