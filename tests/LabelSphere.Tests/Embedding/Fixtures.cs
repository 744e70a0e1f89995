using System.Text.Json;
using LabelSphere.Data;

namespace LabelSphere.Tests.Embedding;

/// <summary>Small annotation sets for embedding tests.</summary>
internal static class Fixtures
{
    public static string TestData(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", file);

    /// <summary>The hand-made set in TestData/tiny_annotations.json.</summary>
    public static (LabelVocabulary Vocabulary, LabelMatrix Labels) Tiny()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestData("tiny_annotations.json")));
        var vocabulary = new LabelVocabulary(doc.RootElement.GetProperty("labels").EnumerateArray().Select(e => e.GetString()!));
        var builder = new LabelMatrixBuilder();
        foreach (var row in doc.RootElement.GetProperty("instances").EnumerateArray())
            builder.AddRow(row.EnumerateArray().Select(e => e.GetInt32()).ToArray());
        return (vocabulary, builder.Build(vocabulary.Count));
    }

    /// <summary>
    /// A seeded random world: labels grouped in topics that bring several of them along, plus independent noise
    /// labels, so that PMI has both structure and unseen pairs.
    /// </summary>
    public static (LabelVocabulary Vocabulary, LabelMatrix Labels) Topics(int labels, int instances, int topics, int seed)
    {
        var random = new Random(seed);
        var topicOf = new int[labels];
        for (int i = 0; i < labels; i++) topicOf[i] = i % topics;
        var members = Enumerable.Range(0, topics).Select(t => Enumerable.Range(0, labels).Where(i => topicOf[i] == t).ToArray()).ToArray();
        var builder = new LabelMatrixBuilder();
        var row = new List<int>();
        for (int r = 0; r < instances; r++)
        {
            row.Clear();
            // Zipf-like topic popularity: topic t drawn with weight 1/(t+1).
            int topic = (int)Math.Min(topics - 1, Math.Floor(Math.Pow(topics + 1, random.NextDouble()) - 1));
            foreach (var m in members[topic]) if (random.NextDouble() < 0.5) row.Add(m);
            if (random.NextDouble() < 0.3) row.Add(random.Next(labels));
            builder.AddRow(row.ToArray());
        }
        return (new LabelVocabulary(Enumerable.Range(0, labels).Select(i => $"label{i}")), builder.Build(labels));
    }

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
