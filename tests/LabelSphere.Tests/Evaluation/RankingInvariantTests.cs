using LabelSphere.Data;
using LabelSphere.Evaluation;

namespace LabelSphere.Tests.Evaluation;

public sealed class RankingInvariantTests
{
    const int Instances = 300;
    const int Classes = 40;

    static MetricsReport Streamed(float[] scores, LabelMatrix truth, int classes, int batch, MetricsOptions? options = null,
                                  double[]? inverse = null, double[]? weights = null)
    {
        var accumulator = new MetricsAccumulator(classes, options, inverse, weights);
        for (int from = 0; from < truth.Rows; from += batch)
        {
            var (s, t) = RankingFixtures.Slice(scores, truth, classes, from, Math.Min(batch, truth.Rows - from));
            accumulator.Add(s, t);
        }
        return accumulator.Report();
    }

    static void Same(double[]? expected, double[]? actual, double tolerance)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is null || actual is null) return;
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(double.IsNaN(expected[i]) ? double.IsNaN(actual[i]) : Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: {expected[i]} vs {actual[i]}");
    }

    static void Same(MetricsReport expected, MetricsReport actual, double tolerance)
    {
        Same([expected.PaperMap, expected.WeightedPaperMap ?? double.NaN, expected.MeanAveragePrecisionAtDepth],
             [actual.PaperMap, actual.WeightedPaperMap ?? double.NaN, actual.MeanAveragePrecisionAtDepth], tolerance);
        Same(expected.Classes.PaperAveragePrecision, actual.Classes.PaperAveragePrecision, tolerance);
        Same(expected.Classes.AveragePrecisionAtDepth, actual.Classes.AveragePrecisionAtDepth, tolerance);
        Assert.Equal(expected.Classes.Positives, actual.Classes.Positives);
        Assert.Equal(expected.ClassesEvaluated, actual.ClassesEvaluated);
        Same(expected.Instances.Precision, actual.Instances.Precision, tolerance);
        Same(expected.Instances.Ndcg, actual.Instances.Ndcg, tolerance);
        Same(expected.Instances.PropensityScoredPrecision, actual.Instances.PropensityScoredPrecision, tolerance);
        Same(expected.Instances.NormalisedPropensityScoredPrecision, actual.Instances.NormalisedPropensityScoredPrecision, tolerance);
        Assert.Equal(expected.Instances.InstancesCounted, actual.Instances.InstancesCounted);
    }

    [Fact]
    public void Worked_example_gives_the_values_computed_by_hand()
    {
        // Given one class and four instances scored 0.9, 0.8, 0.7, 0.1, of which the first, third and fourth are positive
        var truth = new LabelMatrix([0, 1, 1, 2, 3], [0, 0, 0], 1);
        float[] scores = [0.9f, 0.8f, 0.7f, 0.1f];

        // When the metrics are computed three deep
        var report = MetricsReport.Compute(scores, truth, 1, new MetricsOptions { Depth = 3, Cutoffs = [1] });

        // Then the top three are +, −, +: P(1..3) = 1, 1/2, 2/3, so the paper's AP@3 is their mean and the usual AP@3
        // averages the precisions at the two hits over min(3 positives, 3); scikit-learn's AP over all four instances
        // adds a third of recall at each hit: (1 + 2/3 + 3/4)/3
        Assert.Equal((1 + 1 / 2.0 + 2 / 3.0) / 3, report.PaperMap, 15);
        Assert.Equal((1 + 2 / 3.0) / 3, report.MeanAveragePrecisionAtDepth, 15);
        Assert.Equal((1 + 2 / 3.0 + 3 / 4.0) / 3, report.MeanAveragePrecision!.Value, 15);
        Assert.Equal(0.75, report.Instances.PrecisionAt(1));
    }

    [Fact]
    public void A_perfect_scorer_gets_every_metric_at_its_ceiling()
    {
        // Given scores that put every positive above every negative, and order each instance's positives by 1/p
        var truth = RankingFixtures.Labels(Instances, Classes, seed: 1);
        var inverse = Propensity.Inverse(RankingFixtures.Labels(1000, Classes, seed: 2));
        double top = inverse.Max();
        var random = new Random(3);
        var scores = new float[Instances * Classes];
        for (int i = 0; i < scores.Length; i++) scores[i] = random.NextSingle();
        for (int r = 0; r < Instances; r++)
            foreach (var c in truth.Row(r)) scores[r * Classes + c] = 2 + (float)(inverse[c] / top);

        // When the metrics are computed, empty instances skipped
        var report = MetricsReport.Compute(scores, truth, Classes, new MetricsOptions { EmptyInstances = EmptyInstances.Skip }, inverse);

        // Then AP@100 and scikit-learn's AP are 1 for every class; the paper's AP@100 is 1 where a class has at least
        // 100 positives and otherwise (P + Σ_{k=P+1..100} P/k)/100, since precision decays once the positives run out
        var positives = report.Classes.Positives;
        Assert.Contains(positives, p => p >= 100);
        Assert.Contains(positives, p => p is > 0 and < 100);
        for (int c = 0; c < Classes; c++)
        {
            Assert.Equal(1.0, report.Classes.AveragePrecisionAtDepth[c], 12);
            Assert.Equal(1.0, report.Exact!.PerClass[c], 12);
            long p = positives[c];
            double paper = p >= 100 ? 1 : (p + Enumerable.Range((int)p + 1, 100 - (int)p).Sum(k => (double)p / k)) / 100;
            Assert.Equal(paper, report.Classes.PaperAveragePrecision[c], 12);
        }
        // And every instance-wise metric that can reach 1 does
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(1.0, report.Instances.Ndcg[j], 12);
            Assert.Equal(1.0, report.Instances.NormalisedPropensityScoredPrecision![j], 12);
        }
        Assert.Equal(1.0, report.Instances.PrecisionAt(1), 12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Permuting_the_instances_leaves_every_metric_unchanged(int seed)
    {
        // Given scores with no tie within a class, and the same instances in another order
        var truth = RankingFixtures.Labels(Instances, Classes, seed);
        var scores = RankingFixtures.DistinctScores(truth, Classes, seed);
        var inverse = Propensity.Inverse(truth.LabelCounts(), Instances);
        var weights = ClassWeights.FromLabels(truth);
        var permutation = Enumerable.Range(0, Instances).ToArray();
        new Random(seed).Shuffle(permutation);
        var (permutedScores, permutedTruth) = RankingFixtures.Permute(scores, truth, Classes, permutation);

        // When both are evaluated
        var before = MetricsReport.Compute(scores, truth, Classes, null, inverse, weights);
        var after = MetricsReport.Compute(permutedScores, permutedTruth, Classes, null, inverse, weights);

        // Then every metric agrees up to the order of summation
        Same(before, after, 1e-12);
        Same(before.Exact!.PerClass, after.Exact!.PerClass, 1e-12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Streaming_in_batches_of_seven_equals_one_batch(bool ties)
    {
        // Given a test set, with or without tied scores
        var truth = RankingFixtures.Labels(Instances, Classes, seed: 4);
        var scores = ties ? RankingFixtures.TiedScores(truth, Classes, 4) : RankingFixtures.DistinctScores(truth, Classes, 4);
        var inverse = Propensity.Inverse(truth.LabelCounts(), Instances);
        var weights = ClassWeights.FromLabels(truth);

        // When it is streamed seven instances at a time, and in one batch
        var streamed = Streamed(scores, truth, Classes, 7, null, inverse, weights);
        var whole = Streamed(scores, truth, Classes, Instances, null, inverse, weights);

        // Then the results are identical to the last bit: rankings do not depend on batching and sums run in instance order
        Same(whole, streamed, 0);
    }

    [Theory]
    [InlineData(1, 13)]
    [InlineData(5, 50)]
    [InlineData(100, 7)]
    [InlineData(400, 64)]
    public void The_heap_keeps_the_same_instances_as_a_full_sort(int depth, int batch)
    {
        // Given tied scores streamed in batches
        var truth = RankingFixtures.Labels(Instances, Classes, seed: 5);
        var scores = RankingFixtures.TiedScores(truth, Classes, 5);
        var accumulator = new ClassRankingAccumulator(Classes, depth);
        for (int from = 0; from < Instances; from += batch)
        {
            var (s, t) = RankingFixtures.Slice(scores, truth, Classes, from, Math.Min(batch, Instances - from));
            accumulator.Add(s, t);
        }

        for (int c = 0; c < Classes; c++)
        {
            // When a class's kept instances are compared with a full sort by score, earlier instance first among equals
            var full = Enumerable.Range(0, Instances)
                .Select(r => new RankedInstance(r, scores[r * Classes + c], truth.Row(r).BinarySearch(c) >= 0))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Instance).Take(depth).ToArray();

            // Then they are the same instances in the same order
            Assert.Equal(full, accumulator.TopRanked(c));
        }
    }

    [Fact]
    public void A_class_without_positives_is_left_out_of_the_means_and_counted()
    {
        // Given a test set, and the same with one more class that no instance carries
        var truth = RankingFixtures.Labels(Instances, Classes, seed: 6);
        var scores = RankingFixtures.DistinctScores(truth, Classes, 6);
        var random = new Random(6);
        var wider = new float[Instances * (Classes + 1)];
        for (int r = 0; r < Instances; r++)
        {
            scores.AsSpan(r * Classes, Classes).CopyTo(wider.AsSpan(r * (Classes + 1)));
            wider[r * (Classes + 1) + Classes] = -1 - random.NextSingle();
        }

        // When both are evaluated
        var before = MetricsReport.Compute(scores, truth, Classes);
        var after = MetricsReport.Compute(wider, truth.WithColumns(Classes + 1), Classes + 1);

        // Then the class-wise means do not move, the new class is NaN and counted as left out
        Assert.Equal(before.PaperMap, after.PaperMap, 15);
        Assert.Equal(before.MeanAveragePrecisionAtDepth, after.MeanAveragePrecisionAtDepth, 15);
        Assert.Equal(before.MeanAveragePrecision!.Value, after.MeanAveragePrecision!.Value, 15);
        Assert.Equal(before.ClassesWithoutPositives + 1, after.ClassesWithoutPositives);
        Assert.Equal(before.ClassesEvaluated, after.ClassesEvaluated);
        Assert.True(double.IsNaN(after.Classes.PaperAveragePrecision[Classes]));
        Assert.True(double.IsNaN(after.Exact!.PerClass[Classes]));
    }

    [Fact]
    public void Skipping_empty_instances_rescales_the_means_by_the_share_of_labelled_instances()
    {
        // Given a test set with instances that carry no label
        var truth = RankingFixtures.Labels(Instances, Classes, seed: 7);
        var scores = RankingFixtures.DistinctScores(truth, Classes, 7);
        var inverse = Propensity.Inverse(truth.LabelCounts(), Instances);

        // When empty instances are counted as zero, and skipped
        var counted = MetricsReport.Compute(scores, truth, Classes, new MetricsOptions(), inverse).Instances;
        var skipped = MetricsReport.Compute(scores, truth, Classes, new MetricsOptions { EmptyInstances = EmptyInstances.Skip }, inverse).Instances;

        // Then each mean scales by labelled/all, while the normalised PSP, a ratio of sums, is the same
        Assert.True(counted.InstancesWithoutLabels > 0);
        Assert.Equal(counted.InstancesWithoutLabels, skipped.InstancesWithoutLabels);
        Assert.Equal(Instances, counted.InstancesCounted);
        Assert.Equal(Instances - counted.InstancesWithoutLabels, skipped.InstancesCounted);
        double share = (double)skipped.InstancesCounted / Instances;
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(skipped.Precision[j] * share, counted.Precision[j], 12);
            Assert.Equal(skipped.Ndcg[j] * share, counted.Ndcg[j], 12);
            Assert.Equal(skipped.PropensityScoredPrecision![j] * share, counted.PropensityScoredPrecision![j], 12);
            Assert.Equal(skipped.NormalisedPropensityScoredPrecision![j], counted.NormalisedPropensityScoredPrecision![j], 12);
        }
    }

    [Fact]
    public void Class_weights_are_clipped_shares_that_sum_to_one()
    {
        // Given counts whose shares are 0, 0.001, 0.099 and 0.9 of the annotations
        long[] counts = [0, 1, 99, 900];

        // When they are clipped to [0.01, 0.5]
        var weights = ClassWeights.FromCounts(counts, 0.01, 0.5);

        // Then the clipped shares 0.01, 0.01, 0.099, 0.5 are normalised to sum to 1
        double sum = 0.01 + 0.01 + 0.099 + 0.5;
        Same([0.01 / sum, 0.01 / sum, 0.099 / sum, 0.5 / sum], weights, 1e-15);
    }

    [Fact]
    public void Bad_batches_are_refused_with_the_rule_they_break()
    {
        // Given an accumulator for three classes
        var accumulator = new MetricsAccumulator(3, new MetricsOptions { Cutoffs = [1, 3] });
        var truth = new LabelMatrix([0, 1, 2], [0, 2], 3);

        // Then a NaN score, a wrong number of scores and a label beyond the classes are refused, and nothing was added
        var nan = Assert.Throws<ArgumentException>(() => accumulator.Add(new[] { 0f, 1f, 2f, 3f, float.NaN, 5f }, truth));
        Assert.Contains("instance 1 for class 1 is NaN", nan.Message);
        var shape = Assert.Throws<ArgumentException>(() => accumulator.Add(new float[5], truth));
        Assert.Contains("2 rows of 3 classes (6 values), got 5", shape.Message);
        Assert.Throws<ArgumentException>(() => accumulator.Add(new float[8], new LabelMatrix([0, 1, 2], [0, 3], 4)));
        Assert.Equal(0, accumulator.Instances);
        var cutoff = Assert.Throws<ArgumentOutOfRangeException>(() => new MetricsAccumulator(3, new MetricsOptions { Cutoffs = [1, 5] }));
        Assert.Contains("between 1 and the number of classes (3), got 5", cutoff.Message);
    }
}
