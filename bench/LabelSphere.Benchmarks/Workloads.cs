using LabelSphere.Data;
using LabelSphere.Embedding;

namespace LabelSphere.Benchmarks;

/// <summary>
/// The inputs of each benchmarked stage, built from the synthetic sets exactly as the library would build them;
/// shared by the benchmarks and by the <c>reference</c> verb, so the Python peer checks the same computation.
/// </summary>
internal static class Workloads
{
    /// <summary>Embedding dimension k of the decoding benchmark.</summary>
    public const int DecodeDimension = 256;

    /// <summary>Labels of the decoding benchmark's embedding.</summary>
    public const int DecodeLabels = 5000;

    /// <summary>Predicted vectors decoded.</summary>
    public const int DecodeRows = 10_000;

    /// <summary>Labels kept per predicted vector.</summary>
    public const int DecodeTop = 10;

    /// <summary>Standard deviation of the Gaussian noise added to each component of the exact targets.</summary>
    public const float PredictionNoise = 0.02f;

    /// <summary>The synthetic set with <paramref name="labels"/> labels, generated in memory.</summary>
    public static LabelMatrix Matrix(int labels) => SyntheticLabels.Generate(SyntheticLabels.Spec(labels));

    /// <summary>Co-occurrence counts of a label matrix.</summary>
    public static CooccurrenceCounts Counts(LabelMatrix labels) =>
        CooccurrenceCounts.Count(SyntheticLabels.Vocabulary(labels.Columns), labels);

    /// <summary>The PMI matrix under the default options (the paper's formula, unseen pairs 0, diagonal −log p).</summary>
    public static PmiMatrix Pmi(LabelMatrix labels) => Embedding.Pmi.Compute(Counts(labels), new PmiOptions());

    /// <summary>The embedding decoded against: k = 256 with the default options (randomized solver at 5,000 labels).</summary>
    public static LabelEmbedding DecodeEmbedding(LabelMatrix labels) =>
        LabelEmbedding.Fit(Counts(labels), new EmbeddingOptions { Dimension = DecodeDimension });

    /// <summary>
    /// What a trained network might predict, [rows, k] row-major: the exact targets E_k·y of the first
    /// <see cref="DecodeRows"/> instances plus seeded Gaussian noise.
    /// </summary>
    public static float[] Predictions(LabelEmbedding embedding, LabelMatrix labels)
    {
        var rows = Enumerable.Range(0, DecodeRows).ToArray();
        var targets = embedding.EncodeAll(labels.SelectRows(rows));
        var random = new Random(7);
        for (int i = 0; i < targets.Length; i += 2)
        {
            // Box–Muller: two independent normals per pair of uniforms.
            double radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())), angle = 2 * Math.PI * random.NextDouble();
            targets[i] += PredictionNoise * (float)(radius * Math.Cos(angle));
            if (i + 1 < targets.Length) targets[i + 1] += PredictionNoise * (float)(radius * Math.Sin(angle));
        }
        return targets;
    }
}
