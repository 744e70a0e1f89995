namespace LabelSphere.Evaluation;

/// <summary>
/// What a class's ranking metrics are worth when its instances are ranked at random (every order equally likely):
/// the floor a zero-shot label's scores must clear. Exact expectations, not simulations.
/// </summary>
internal static class ChanceLevel
{
    /// <summary>
    /// The expected paper AP@K, (1/m) Σ_{k≤m} P(k, n) with m = min(K, instances): every P(k, n) has expectation
    /// positives/instances, so this is the class's prevalence.
    /// </summary>
    public static double PaperAveragePrecision(long positives, long instances)
    {
        Check(positives, instances);
        return (double)positives / instances;
    }

    /// <summary>
    /// The expected usual AP@K, Σ_{k≤m} P(k, n)·rel(k, n) / min(positives, K). Rank r holds a positive with probability
    /// R/N, and given that, each of the r − 1 ranks above holds one with probability (R − 1)/(N − 1), so
    /// E[P(r)·rel(r)] = (R/N)·(1 + (r − 1)(R − 1)/(N − 1))/r.
    /// </summary>
    public static double AveragePrecisionAtDepth(long positives, long instances, int depth = MetricsOptions.PaperDepth)
    {
        Check(positives, instances);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(depth);
        double r = positives, n = instances, sum = 0;
        long m = Math.Min(depth, instances);
        for (long k = 1; k <= m; k++) sum += (r / n) * (1 + (k - 1) * (n > 1 ? (r - 1) / (n - 1) : 0)) / k;
        return sum / Math.Min(positives, depth);
    }

    /// <summary>
    /// The expected average precision over the whole ranking as scikit-learn computes it (no ties):
    /// (H_N + (R − 1)(N − H_N)/(N − 1)) / N, H_N the N-th harmonic number; the same sum as
    /// <see cref="AveragePrecisionAtDepth"/> run to N and divided by R.
    /// </summary>
    public static double AveragePrecision(long positives, long instances)
    {
        Check(positives, instances);
        double n = instances, harmonic = 0;
        for (long k = 1; k <= instances; k++) harmonic += 1.0 / k;
        return instances == 1 ? 1 : (harmonic + (positives - 1) * (n - harmonic) / (n - 1)) / n;
    }

    static void Check(long positives, long instances)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(instances);
        if (positives < 1 || positives > instances)
            throw new ArgumentOutOfRangeException(nameof(positives), positives, $"positives must be between 1 and the instances ({instances})");
    }
}
