using LabelSphere.Data;

namespace LabelSphere.Evaluation;

/// <summary>
/// Label propensities of Jain, Prabhu and Varma (2016): the chance that a relevant label was annotated, estimated from
/// its training frequency as p_l = 1 / (1 + C·e^(−A·ln(N_l + B))), C = (ln N − 1)(B + 1)^A.
/// </summary>
public static class Propensity
{
    /// <summary>The A used for every data set outside Wikipedia and Amazon in the Extreme Classification Repository.</summary>
    public const double DefaultA = 0.55;

    /// <summary>The B that goes with <see cref="DefaultA"/>.</summary>
    public const double DefaultB = 1.5;

    /// <summary>
    /// 1/p_l = 1 + C·(N_l + B)^(−A) for every label, length <paramref name="trainCounts"/>.Length; rare labels get
    /// large values. A label never seen in training gets 1 + C·B^(−A).
    /// </summary>
    /// <param name="trainCounts">N_l, the training instances carrying each label.</param>
    /// <param name="trainInstances">N, the number of training instances (those without labels included).</param>
    public static double[] Inverse(ReadOnlySpan<long> trainCounts, long trainInstances, double a = DefaultA, double b = DefaultB)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trainInstances, 1);
        if (!(a > 0) || double.IsInfinity(a)) throw new ArgumentOutOfRangeException(nameof(a), a, $"A must be a finite positive number, got {a}");
        if (!(b > 0) || double.IsInfinity(b)) throw new ArgumentOutOfRangeException(nameof(b), b, $"B must be a finite positive number, got {b}");
        double c = (Math.Log(trainInstances) - 1) * Math.Pow(b + 1, a);
        var inverse = new double[trainCounts.Length];
        for (int l = 0; l < inverse.Length; l++)
        {
            if (trainCounts[l] < 0 || trainCounts[l] > trainInstances)
                throw new ArgumentOutOfRangeException(nameof(trainCounts), trainCounts[l], $"label {l}'s count must be between 0 and the number of training instances ({trainInstances})");
            inverse[l] = 1 + c * Math.Pow(trainCounts[l] + b, -a);
        }
        return inverse;
    }

    /// <summary>Inverse propensities from a training label matrix: N is its rows, N_l its label counts.</summary>
    public static double[] Inverse(LabelMatrix train, double a = DefaultA, double b = DefaultB)
    {
        ArgumentNullException.ThrowIfNull(train);
        return Inverse(train.LabelCounts(), train.Rows, a, b);
    }
}
