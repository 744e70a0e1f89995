using LabelSphere.Data;
using LabelSphere.Evaluation;

namespace LabelSphere.Training;

/// <summary>The fitted ranking of the joint head (<see cref="JointRanking.Fitted"/>): how much of each half to rank by.</summary>
internal static class JointMix
{
    /// <summary>The cosine shares α that are tried, from the sigmoid half only (0) to the cosine half only (1).</summary>
    public static readonly IReadOnlyList<double> Grid = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

    /// <summary>A fitted ranking: the cosine share and, per label, the statistics that z-score each half.</summary>
    /// <param name="Alpha">The cosine share α.</param>
    /// <param name="LogitMean">[labels] mean logit.</param>
    /// <param name="LogitDeviation">[labels] standard deviation of the logit (at least 1e-6).</param>
    /// <param name="CosineMean">[labels] mean cosine.</param>
    /// <param name="CosineDeviation">[labels] standard deviation of the cosine (at least 1e-6).</param>
    /// <param name="Score">The class-weighted MAP@100 (unweighted without weights) of the ranking on the instances fitted on.</param>
    public sealed record Fitted(double Alpha, float[] LogitMean, float[] LogitDeviation, float[] CosineMean, float[] CosineDeviation, double Score);

    /// <summary>
    /// The ranking α·(cos_j − μc_j)/σc_j + (1 − α)·(l_j − μl_j)/σl_j with the best class-weighted MAP@100 on the
    /// instances given, over the α of <see cref="Grid"/>: each label's logits l and cosines z-scored by their own mean
    /// and standard deviation over these instances, so that α weighs the two rankings of every label on one scale (a
    /// label's logits may span 10 units where its cosines span 0.2). α = 0 ranks as the sigmoid half does, α = 1 as the
    /// embedding half; ties go to the smaller α.
    /// </summary>
    /// <param name="logits">[instances, labels] row-major, the sigmoid half's logits.</param>
    /// <param name="cosines">[instances, labels] row-major, the embedding half's cosines.</param>
    /// <param name="truth">The instances' label sets.</param>
    /// <param name="classWeights">[labels] weights of the class-weighted MAP@100, or empty.</param>
    public static Fitted Fit(ReadOnlySpan<float> logits, ReadOnlySpan<float> cosines, LabelMatrix truth, int labels, ReadOnlySpan<double> classWeights = default)
    {
        if (logits.Length != cosines.Length || logits.Length != (long)truth.Rows * labels || truth.Rows == 0)
            throw new ArgumentException($"{logits.Length} logits and {cosines.Length} cosines for {truth.Rows} instances × {labels} labels");
        var (lm, ls) = Moments(logits, labels);
        var (cm, cs) = Moments(cosines, labels);
        var zl = new float[logits.Length];
        var zc = new float[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            int j = i % labels;
            zl[i] = (logits[i] - lm[j]) / ls[j];
            zc[i] = (cosines[i] - cm[j]) / cs[j];
        }
        var mixed = new float[logits.Length];
        var options = new MetricsOptions { Cutoffs = [1] };
        double bestAlpha = 0, bestScore = double.NegativeInfinity;
        foreach (var alpha in Grid)
        {
            for (int i = 0; i < mixed.Length; i++) mixed[i] = (float)(alpha * zc[i] + (1 - alpha) * zl[i]);
            var accumulator = new MetricsAccumulator(labels, options, default, classWeights);
            accumulator.Add(mixed, truth);
            var report = accumulator.Report();
            double score = report.WeightedPaperMap ?? report.PaperMap;
            if (score > bestScore) (bestScore, bestAlpha) = (score, alpha);
        }
        return new Fitted(bestAlpha, lm, ls, cm, cs, bestScore);
    }

    // Each column's mean and standard deviation (at least 1e-6) over the rows of a [rows, labels] matrix.
    static (float[] Mean, float[] Deviation) Moments(ReadOnlySpan<float> values, int labels)
    {
        int rows = values.Length / labels;
        var sum = new double[labels];
        var squares = new double[labels];
        for (int i = 0; i < values.Length; i++) sum[i % labels] += values[i];
        var mean = new float[labels];
        for (int j = 0; j < labels; j++) mean[j] = (float)(sum[j] / rows);
        for (int i = 0; i < values.Length; i++)
        {
            double d = values[i] - mean[i % labels];
            squares[i % labels] += d * d;
        }
        var deviation = new float[labels];
        for (int j = 0; j < labels; j++) deviation[j] = (float)Math.Max(Math.Sqrt(squares[j] / rows), 1e-6);
        return (mean, deviation);
    }
}
