using LabelSphere.Data;

namespace LabelSphere.Evaluation;

/// <summary>
/// The class weights of the paper's weighted MAP@100: each class's share of the annotations in a set of the caller's
/// choice, clipped to [minimum, maximum], then normalised to sum to 1.
/// </summary>
public static class ClassWeights
{
    /// <summary>The default floor, as a multiple of the share 1/classes every class would have if all were equally frequent.</summary>
    public const double DefaultMinimumRelative = 0.1;

    /// <summary>The default cap, as a multiple of 1/classes.</summary>
    public const double DefaultMaximumRelative = 10;

    /// <summary>
    /// w_n = clip(f_n, minimum, maximum) / Σ_m clip(f_m, minimum, maximum), f_n = count_n / Σ_m count_m; length
    /// <paramref name="counts"/>.Length.
    /// </summary>
    /// <param name="counts">How many instances of the chosen annotation set carry each class.</param>
    /// <param name="minimum">Floor on f_n; by default <see cref="DefaultMinimumRelative"/>/classes.</param>
    /// <param name="maximum">Cap on f_n; by default <see cref="DefaultMaximumRelative"/>/classes.</param>
    public static double[] FromCounts(ReadOnlySpan<long> counts, double? minimum = null, double? maximum = null)
    {
        int classes = counts.Length;
        ArgumentOutOfRangeException.ThrowIfZero(classes);
        double lo = minimum ?? DefaultMinimumRelative / classes, hi = maximum ?? DefaultMaximumRelative / classes;
        if (!(lo >= 0) || double.IsInfinity(lo)) throw new ArgumentOutOfRangeException(nameof(minimum), lo, $"the minimum must be a finite number of at least 0, got {lo}");
        if (!(hi >= lo) || hi == 0 || double.IsInfinity(hi)) throw new ArgumentOutOfRangeException(nameof(maximum), hi, $"the maximum must be finite, positive and at least the minimum ({lo}), got {hi}");
        long total = 0;
        foreach (var c in counts)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(c, nameof(counts));
            total += c;
        }
        if (total == 0) throw new ArgumentException("the annotation set carries no label, so class frequencies are undefined", nameof(counts));
        var weights = new double[classes];
        double sum = 0;
        for (int n = 0; n < classes; n++)
        {
            weights[n] = Math.Clamp((double)counts[n] / total, lo, hi);
            sum += weights[n];
        }
        for (int n = 0; n < classes; n++) weights[n] /= sum;
        return weights;
    }

    /// <summary>Weights from the class frequencies of an annotation set (a training or validation split, say).</summary>
    public static double[] FromLabels(LabelMatrix annotations, double? minimum = null, double? maximum = null)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        return FromCounts(annotations.LabelCounts(), minimum, maximum);
    }
}
