using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Training;

namespace LabelSphere.Tests.Training;

/// <summary>Small data sets for training tests: a seeded synthetic world and subsets of the real bibtex.</summary>
internal static class TrainingFixtures
{
    /// <summary>Feature rows, label sets and their vocabulary.</summary>
    public sealed record FeatureData(FeatureMatrix Features, LabelMatrix Labels, LabelVocabulary Vocabulary)
    {
        public int Count => Labels.Rows;

        public FeatureData Rows(int start, int count)
        {
            var features = new FeatureMatrixBuilder();
            var labels = new LabelMatrixBuilder();
            for (int r = start; r < start + count; r++)
            {
                for (long k = Features.Offsets[r]; k < Features.Offsets[r + 1]; k++) features.Add(Features.Indices[(int)k], Features.Values[(int)k]);
                features.EndRow();
                labels.AddSortedRow(Labels.Row(r));
            }
            return new FeatureData(features.Build(Features.Columns), labels.Build(Labels.Columns), Vocabulary);
        }

        public FeatureSource Source(FeatureTransform transform) => new(Features, Labels, Vocabulary, transform);

        public LabelEmbedding Embed(int dimension) =>
            LabelEmbedding.Fit(CooccurrenceCounts.Count(Vocabulary, Labels), new EmbeddingOptions { Dimension = dimension });
    }

    /// <summary>
    /// A seeded world of 12 labels in 3 topics over 40 features: each label has 3 words that show up with it, each
    /// instance a few noise words; about 5% of instances carry no label.
    /// </summary>
    public static FeatureData Synthetic(int instances, int seed = 7)
    {
        const int labels = 12, topics = 3, features = 40;
        var random = new Random(seed);
        var featureBuilder = new FeatureMatrixBuilder();
        var labelBuilder = new LabelMatrixBuilder();
        var row = new List<int>();
        var words = new SortedDictionary<int, float>();
        for (int r = 0; r < instances; r++)
        {
            row.Clear();
            words.Clear();
            if (random.NextDouble() >= 0.05)
            {
                int topic = random.Next(topics);
                for (int l = topic; l < labels; l += topics) if (random.NextDouble() < 0.6) row.Add(l);
                if (row.Count == 0) row.Add(topic);
            }
            foreach (var l in row)
                for (int w = 0; w < 3; w++)
                    if (random.NextDouble() < 0.8) words[l * 3 + w] = 1 + random.Next(3);
            for (int n = 0; n < 2; n++) words[labels * 3 + random.Next(features - labels * 3)] = 1;
            foreach (var (c, v) in words) featureBuilder.Add(c, v);
            featureBuilder.EndRow();
            labelBuilder.AddRow(row.ToArray());
        }
        var vocabulary = new LabelVocabulary(Enumerable.Range(0, labels).Select(i => $"tag{i}"));
        return new FeatureData(featureBuilder.Build(features), labelBuilder.Build(labels), vocabulary);
    }

    static readonly Lazy<(FeatureData Train, FeatureData Test)?> BibtexData = new(() =>
    {
        var train = DatasetPaths.Get("mulan", "bibtex", "bibtex-train.arff");
        var test = DatasetPaths.Get("mulan", "bibtex", "bibtex-test.arff");
        if (train is null || test is null) return null;
        var a = AnnotationReader.Read(train);
        var b = AnnotationReader.Read(test);
        return (new FeatureData(a.Features!, a.Labels, a.Vocabulary), new FeatureData(b.Features!, b.Labels, b.Vocabulary));
    });

    /// <summary>The real bibtex training and test sets, or null when ../shared/datasets is absent.</summary>
    public static (FeatureData Train, FeatureData Test)? Bibtex() => BibtexData.Value;

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "labelsphere-train-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}

/// <summary>Image sources for backbone and trainer tests.</summary>
internal static class ImageFixtures
{
    /// <summary>Images whose mean colour says which of three labels they carry.</summary>
    public static ArraySource ColouredSquares(int count, int side, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[count * 3 * side * side];
        var labels = new LabelMatrixBuilder();
        for (int i = 0; i < count; i++)
        {
            int label = i % 3;
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < side * side; p++)
                    inputs[((i * 3) + c) * side * side + p] = (c == label ? 1f : 0f) + (float)(random.NextDouble() - 0.5) * 0.5f;
            labels.AddRow([label]);
        }
        return new ArraySource(inputs, [3, side, side], labels.Build(3), new LabelVocabulary(["red", "green", "blue"]));
    }
}
