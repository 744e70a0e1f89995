namespace LabelSphere.Evaluation;

/// <summary>
/// Instance-wise ranking metrics at each cut-off k: each test instance ranks the classes by score. Arrays are indexed
/// like <see cref="Cutoffs"/>; a mean over no instance is NaN.
/// </summary>
/// <param name="Cutoffs">The k of each entry.</param>
/// <param name="EmptyInstances">How instances without true labels were treated.</param>
/// <param name="InstancesCounted">Instances in the means.</param>
/// <param name="InstancesWithoutLabels">Instances that carry no true label (counted with zeros, or skipped).</param>
/// <param name="Precision">P@k = mean of (1/k) Σ_{r≤k} y(r).</param>
/// <param name="Ndcg">nDCG@k = mean of Σ_{r≤k} y(r)/log2(r+1) divided by Σ_{r≤min(k, |y|)} 1/log2(r+1).</param>
/// <param name="PropensityScoredPrecision">PSP@k = mean of (1/k) Σ_{r≤k} y(r)/p(r), unnormalised; null without propensities.</param>
/// <param name="NormalisedPropensityScoredPrecision">
/// Σ PSP@k over instances divided by Σ of the best PSP@k each instance could reach (the Extreme Classification
/// Repository's and pyxclib's "PSP@k"); null without propensities.
/// </param>
public sealed record InstanceRankingMetrics(
    int[] Cutoffs,
    EmptyInstances EmptyInstances,
    long InstancesCounted,
    long InstancesWithoutLabels,
    double[] Precision,
    double[] Ndcg,
    double[]? PropensityScoredPrecision,
    double[]? NormalisedPropensityScoredPrecision)
{
    /// <summary>P@k at cut-off <paramref name="k"/>, one of <see cref="Cutoffs"/>.</summary>
    public double PrecisionAt(int k) => Precision[IndexOf(k)];

    /// <summary>nDCG@k at cut-off <paramref name="k"/>.</summary>
    public double NdcgAt(int k) => Ndcg[IndexOf(k)];

    /// <summary>Unnormalised PSP@k at cut-off <paramref name="k"/>; null without propensities.</summary>
    public double? PropensityScoredPrecisionAt(int k) => PropensityScoredPrecision?[IndexOf(k)];

    /// <summary>Normalised PSP@k at cut-off <paramref name="k"/>; null without propensities.</summary>
    public double? NormalisedPropensityScoredPrecisionAt(int k) => NormalisedPropensityScoredPrecision?[IndexOf(k)];

    int IndexOf(int k)
    {
        int i = Array.IndexOf(Cutoffs, k);
        if (i < 0) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be one of the cut-offs measured ({string.Join(", ", Cutoffs)})");
        return i;
    }
}
