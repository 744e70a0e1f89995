using LabelSphere.Data;

namespace LabelSphere.Evaluation;

/// <summary>Every ranking metric of one evaluation; docs/metrics.md defines each.</summary>
/// <param name="Classes">The class-wise metrics: the paper's MAP@K, weighted and unweighted, and AP@K.</param>
/// <param name="Instances">The instance-wise metrics: P@k, nDCG@k, PSP@k.</param>
/// <param name="Exact">scikit-learn's per-class AP and its mean; null when the scores were streamed.</param>
public sealed record MetricsReport(ClassRankingMetrics Classes, InstanceRankingMetrics Instances, ExactAveragePrecision? Exact)
{
    /// <summary>The paper's MAP@K (K = 100 by default), unweighted.</summary>
    public double PaperMap => Classes.PaperMap;

    /// <summary>The paper's MAP@K, class-weighted; null without class weights.</summary>
    public double? WeightedPaperMap => Classes.WeightedPaperMap;

    /// <summary>The mean over classes of the usual AP@K.</summary>
    public double MeanAveragePrecisionAtDepth => Classes.MeanAveragePrecisionAtDepth;

    /// <summary>The mean over classes of scikit-learn's AP; null when the scores were streamed.</summary>
    public double? MeanAveragePrecision => Exact?.Mean;

    /// <summary>Classes in the class-wise means.</summary>
    public int ClassesEvaluated => Classes.ClassesEvaluated;

    /// <summary>Classes left out of the class-wise means for having no positive test instance.</summary>
    public int ClassesWithoutPositives => Classes.ClassesWithoutPositives;

    /// <summary>
    /// Every metric of a score matrix held in memory, scikit-learn's AP included: the streaming accumulators run over
    /// the whole matrix as one batch.
    /// </summary>
    /// <param name="scores">[instances, classes] row-major.</param>
    /// <param name="truth">The instances' true label sets.</param>
    /// <param name="inversePropensities">1/p_l per class (<see cref="Propensity"/>); empty to skip PSP@k.</param>
    /// <param name="classWeights">One weight per class (<see cref="ClassWeights"/>); empty to skip the weighted MAP@K.</param>
    public static MetricsReport Compute(ReadOnlyMemory<float> scores, LabelMatrix truth, int classes, MetricsOptions? options = null,
                                        ReadOnlySpan<double> inversePropensities = default, ReadOnlySpan<double> classWeights = default)
    {
        var accumulator = new MetricsAccumulator(classes, options, inversePropensities, classWeights);
        accumulator.Add(scores, truth);
        return accumulator.Report() with { Exact = ExactAveragePrecision.Compute(scores, truth, classes) };
    }
}
