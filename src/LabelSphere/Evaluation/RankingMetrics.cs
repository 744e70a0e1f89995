using LabelSphere.Data;

namespace LabelSphere.Evaluation;

/// <summary>Instance-wise precision at 1, 3 and 5 over ranked predictions.</summary>
/// <param name="At1">Mean over instances of |top-1 ∩ truth| / 1.</param>
/// <param name="At3">Mean over instances of |top-3 ∩ truth| / 3.</param>
/// <param name="At5">Mean over instances of |top-5 ∩ truth| / 5.</param>
/// <param name="Instances">Instances averaged over (all of them, those without labels scoring 0).</param>
internal sealed record PrecisionAtK(double At1, double At3, double At5, int Instances);

/// <summary>Ranking metrics of multi-label predictions and the most-frequent-labels baseline.</summary>
internal static class RankingMetrics
{
    /// <summary>
    /// |top-k of <paramref name="ranked"/> ∩ <paramref name="truth"/>| / k, as in the Extreme Classification
    /// Repository: the denominator is k even when fewer labels are ranked.
    /// </summary>
    /// <param name="ranked">Label ids, best first.</param>
    /// <param name="truth">The instance's label ids, sorted.</param>
    public static double Precision(ReadOnlySpan<int> ranked, ReadOnlySpan<int> truth, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        int hits = 0;
        for (int i = 0; i < Math.Min(k, ranked.Length); i++)
            if (truth.BinarySearch(ranked[i]) >= 0) hits++;
        return (double)hits / k;
    }

    /// <summary>Precision at 1, 3 and 5 averaged over every instance of <paramref name="truth"/>.</summary>
    /// <param name="ranked">[instances] label ids of each instance, best first (at least 5 where there are 5 labels).</param>
    public static PrecisionAtK Evaluate(IReadOnlyList<int[]> ranked, LabelMatrix truth)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(truth);
        if (ranked.Count != truth.Rows) throw new ArgumentException($"{ranked.Count} rankings for {truth.Rows} instances");
        double p1 = 0, p3 = 0, p5 = 0;
        for (int r = 0; r < truth.Rows; r++)
        {
            var row = truth.Row(r);
            p1 += Precision(ranked[r], row, 1);
            p3 += Precision(ranked[r], row, 3);
            p5 += Precision(ranked[r], row, 5);
        }
        int n = Math.Max(1, truth.Rows);
        return new PrecisionAtK(p1 / n, p3 / n, p5 / n, truth.Rows);
    }

    /// <summary>
    /// The <paramref name="top"/> labels carried by most instances of <paramref name="labels"/>, most frequent first
    /// (ties by id): the predictor that ignores its input.
    /// </summary>
    public static int[] MostFrequent(LabelMatrix labels, int top)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(top);
        var counts = labels.LabelCounts();
        var ids = Enumerable.Range(0, counts.Length).ToArray();
        Array.Sort(ids, (a, b) => counts[a] != counts[b] ? counts[b].CompareTo(counts[a]) : a.CompareTo(b));
        return ids[..Math.Min(top, ids.Length)];
    }

    /// <summary>Precision at 1, 3 and 5 of ranking <paramref name="ranking"/> for every instance of <paramref name="truth"/>.</summary>
    public static PrecisionAtK EvaluateConstant(int[] ranking, LabelMatrix truth)
    {
        var all = new int[truth.Rows][];
        Array.Fill(all, ranking);
        return Evaluate(all, truth);
    }
}
