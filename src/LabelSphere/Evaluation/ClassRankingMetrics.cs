namespace LabelSphere.Evaluation;

/// <summary>
/// Class-wise ranking metrics: each class ranks the test instances by their score for it. Classes without a positive
/// in the test set are left out of every mean (their per-class values are NaN) and counted in
/// <see cref="ClassesWithoutPositives"/>; a mean over no class is NaN.
/// </summary>
/// <param name="Depth">K: how many top-ranked instances each class looks at.</param>
/// <param name="Instances">Test instances ranked.</param>
/// <param name="PaperMap">The paper's MAP@K, unweighted: the mean over classes of Σ_{k≤m} P(k, n)/m, m = min(K, instances).</param>
/// <param name="WeightedPaperMap">The paper's MAP@K with the class weights renormalised over the classes evaluated; null when no weights were given.</param>
/// <param name="MeanAveragePrecisionAtDepth">The mean over classes of the usual AP@K, Σ_{k≤m} P(k, n)·rel(k, n) / min(positives, K).</param>
/// <param name="ClassesEvaluated">Classes with at least one positive test instance.</param>
/// <param name="ClassesWithoutPositives">Classes left out because no test instance carries them.</param>
/// <param name="PaperAveragePrecision">Per class, Σ_{k≤m} P(k, n)/m; NaN for classes left out.</param>
/// <param name="AveragePrecisionAtDepth">Per class, the usual AP@K; NaN for classes left out.</param>
/// <param name="Positives">Per class, the test instances carrying it.</param>
public sealed record ClassRankingMetrics(
    int Depth,
    int Instances,
    double PaperMap,
    double? WeightedPaperMap,
    double MeanAveragePrecisionAtDepth,
    int ClassesEvaluated,
    int ClassesWithoutPositives,
    double[] PaperAveragePrecision,
    double[] AveragePrecisionAtDepth,
    long[] Positives);
