using LabelSphere.Data;
using LabelSphere.Evaluation;

namespace LabelSphere.Training;

/// <summary>The fitted ranking of the joint head (<see cref="JointRanking.Fitted"/>): how much of each half to rank by.</summary>
public static class JointMix
{
    /// <summary>The shares α of the probability half that are tried, from cosine only (0) to probability only (1).</summary>
    public static readonly IReadOnlyList<double> Grid = [0, 0.25, 0.5, 0.75, 1];

    /// <summary>
    /// The mix weights (a, c) = (α/σ_p, (1 − α)/σ_c) for the α of <see cref="Grid"/> whose ranking a·p + c·cos has the best
    /// class-weighted MAP@100 (unweighted without <paramref name="classWeights"/>) on the instances given; σ_p and σ_c are
    /// the standard deviations of each half's scores over all of them, so that α weighs the two rankings on one scale
    /// and neither dominates by its range (probabilities of rare labels are tiny, cosines span [−1, 1]). Ties go to the
    /// smaller α, the cosine side.
    /// </summary>
    /// <param name="probability">[instances, labels] row-major, the sigmoid half's probabilities.</param>
    /// <param name="cosine">[instances, labels] row-major, the embedding half's cosines.</param>
    /// <param name="truth">The instances' label sets.</param>
    /// <param name="classWeights">[labels] weights of the class-weighted MAP@100, or empty.</param>
    public static (double Probability, double Cosine) Fit(ReadOnlySpan<float> probability, ReadOnlySpan<float> cosine, LabelMatrix truth, int labels,
                                                          ReadOnlySpan<double> classWeights = default)
    {
        if (probability.Length != cosine.Length || probability.Length != (long)truth.Rows * labels)
            throw new ArgumentException($"{probability.Length} probabilities and {cosine.Length} cosines for {truth.Rows} instances × {labels} labels");
        double sp = Deviation(probability), sc = Deviation(cosine);
        var mixed = new float[probability.Length];
        var options = new MetricsOptions { Cutoffs = [1] };
        (double, double) best = (1, 0);
        double bestScore = double.NegativeInfinity;
        foreach (var alpha in Grid)
        {
            double a = alpha / sp, c = (1 - alpha) / sc;
            for (int i = 0; i < mixed.Length; i++) mixed[i] = (float)(a * probability[i] + c * cosine[i]);
            var accumulator = new MetricsAccumulator(labels, options, default, classWeights);
            accumulator.Add(mixed, truth);
            var report = accumulator.Report();
            double score = report.WeightedPaperMap ?? report.PaperMap;
            if (score > bestScore) (bestScore, best) = (score, (a, c));
        }
        return best;
    }

    // The standard deviation of the values, or 1 when they are all equal.
    static double Deviation(ReadOnlySpan<float> values)
    {
        double sum = 0, squares = 0;
        foreach (var v in values) sum += v;
        double mean = values.Length > 0 ? sum / values.Length : 0;
        foreach (var v in values) squares += (v - mean) * (v - mean);
        double deviation = values.Length > 1 ? Math.Sqrt(squares / values.Length) : 0;
        return deviation > 1e-12 ? deviation : 1;
    }
}
