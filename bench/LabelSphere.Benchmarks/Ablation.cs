using System.Diagnostics;
using LabelSphere.Data;
using LabelSphere.Decoding;
using LabelSphere.Embedding;
using LabelSphere.Evaluation;

namespace LabelSphere.Benchmarks;

/// <summary>
/// Measures what each open PMI choice does on a real annotation set: how much of the spectrum is negative, how
/// much E_k explains, how well the encoded ground truth decodes back to its own labels, and how faithfully
/// held-out labels are placed zero-shot. Prints a Markdown table; docs/embedding.md quotes it.
/// </summary>
public static class Ablation
{
    static readonly (string Name, EmbeddingOptions Options)[] Configurations =
    [
        ("default (unseen 0, diagonal −log p, λ<0 zeroed)", new()),
        ("unseen: half count", new() { Pmi = new() { Unseen = UnseenPairs.HalfCount } }),
        ("unseen: min observed", new() { Pmi = new() { Unseen = UnseenPairs.MinObserved } }),
        ("diagonal: zero", new() { Pmi = new() { Diagonal = DiagonalMode.Zero } }),
        ("diagonal: row max", new() { Pmi = new() { Diagonal = DiagonalMode.RowMax } }),
        ("positive PMI", new() { Pmi = new() { Positive = true } }),
        ("shifted positive PMI (shift 5)", new() { Pmi = new() { Positive = true, Shift = 5 } }),
        ("smoothing α = 0.75", new() { Pmi = new() { Alpha = 0.75 } }),
        ("normalised PMI", new() { Pmi = new() { Measure = PmiMeasure.Normalized } }),
        ("negative eigenvalues: absolute", new() { Negative = NegativeEigenvalues.Absolute }),
    ];

    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: ablation <annotations> [--dim K] [--held-out N]");
            return 1;
        }
        var path = args[0];
        int dim = Option(args, "--dim", 64);
        int heldOut = Option(args, "--held-out", 20);
        var data = AnnotationReader.Read(path, new ReaderOptions { SkipInvalid = true });
        var counts = CooccurrenceCounts.Count(data.Vocabulary, data.Labels);
        dim = Math.Min(dim, data.Vocabulary.Count);
        var held = PickHeldOut(counts, heldOut);

        Console.WriteLine($"`{Path.GetFileName(path)}`: {data.Vocabulary.Count} labels, {data.Count} instances, k = {dim}; " +
                          $"zero-shot over {held.Length} held-out labels (the most frequent labels ranked 10, 20, 30, ...)");
        Console.WriteLine();
        Console.WriteLine("| choice | negative energy | explained at k | round-trip precision | zero-shot r | zero-shot top-5 overlap | seconds |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (name, baseOptions) in Configurations)
        {
            var clock = Stopwatch.StartNew();
            var options = baseOptions with { Dimension = dim, Solver = EigenSolver.Exact };
            var embedding = LabelEmbedding.Fit(counts, options);
            double roundTrip = RoundTrip(embedding, data.Labels);
            var (r, overlap) = ZeroShot(data, held, embedding);
            Console.WriteLine($"| {name} | {embedding.Spectrum.NegativeShare:P1} | {embedding.Spectrum.Explained[^1]:P1} | {roundTrip:F3} | {r:F3} | {overlap:F2} | {clock.Elapsed.TotalSeconds:F1} |");
        }
        return 0;
    }

    static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }

    static int[] PickHeldOut(CooccurrenceCounts counts, int n)
    {
        var byFrequency = Enumerable.Range(0, counts.LabelCount).OrderByDescending(i => counts.LabelCounts[i]).ToArray();
        return byFrequency.Where((_, rank) => rank % 10 == 9).Take(n).ToArray();
    }

    /// <summary>Mean over instances with labels of the share of their labels among the top |y| decoded from E_k·y.</summary>
    static double RoundTrip(LabelEmbedding embedding, LabelMatrix labels)
    {
        var targets = embedding.EncodeAll(labels);
        int maxTop = 0;
        for (int r = 0; r < labels.Rows; r++) maxTop = Math.Max(maxTop, labels.Row(r).Length);
        var decoded = TopKDecoder.Decode(embedding, targets, Math.Min(maxTop, embedding.LabelCount));
        double sum = 0;
        int n = 0;
        for (int r = 0; r < labels.Rows; r++)
        {
            var truth = labels.Row(r);
            if (truth.Length == 0) continue;
            int hits = 0;
            for (int t = 0; t < truth.Length; t++) if (truth.Contains(decoded[r][t].Id)) hits++;
            sum += (double)hits / truth.Length;
            n++;
        }
        return sum / n;
    }

    /// <summary>Mean zero-shot fidelity over the held-out labels (see <see cref="ZeroShotFidelity"/>).</summary>
    static (double R, double Overlap) ZeroShot(AnnotationSet data, int[] held, LabelEmbedding full)
    {
        var results = held.Select(label => ZeroShotFidelity.Measure(data.Vocabulary, data.Labels, full, label)).ToArray();
        return (results.Average(r => r.ProximityCorrelation), results.Average(r => r.NeighbourOverlap));
    }
}
