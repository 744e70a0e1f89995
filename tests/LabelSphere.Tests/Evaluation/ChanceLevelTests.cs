using LabelSphere.Data;
using LabelSphere.Evaluation;

namespace LabelSphere.Tests.Evaluation;

public sealed class ChanceLevelTests
{
    [Theory]
    [InlineData(1, 40)]
    [InlineData(7, 150)]
    [InlineData(120, 300)]
    public void Exact_expectations_equal_the_mean_of_many_random_rankings(int positives, int instances)
    {
        // Given a class with `positives` of `instances` and 4,000 random rankings, measured by the metrics themselves
        var truth = new LabelMatrixBuilder();
        for (int i = 0; i < instances; i++) truth.AddRow(i < positives ? [0] : []);
        var labels = truth.Build(1);
        var random = new Random(positives * 1000 + instances);
        const int trials = 4000;
        double ap = 0, ap100 = 0, paper = 0;
        var scores = new float[instances];
        for (int t = 0; t < trials; t++)
        {
            for (int i = 0; i < instances; i++) scores[i] = random.NextSingle();
            var report = MetricsReport.Compute(scores, labels, 1, new MetricsOptions { Cutoffs = [1] });
            ap += report.Exact!.PerClass[0];
            ap100 += report.Classes.AveragePrecisionAtDepth[0];
            paper += report.Classes.PaperAveragePrecision[0];
        }

        // Then the closed forms agree with the simulation within its sampling error
        Assert.Equal(ChanceLevel.AveragePrecision(positives, instances), ap / trials, 0.01);
        Assert.Equal(ChanceLevel.AveragePrecisionAtDepth(positives, instances), ap100 / trials, 0.01);
        Assert.Equal(ChanceLevel.PaperAveragePrecision(positives, instances), paper / trials, 0.01);
    }

    [Fact]
    public void A_class_that_is_every_instance_has_chance_one()
    {
        Assert.Equal(1, ChanceLevel.AveragePrecision(50, 50), 12);
        Assert.Equal(1, ChanceLevel.AveragePrecisionAtDepth(50, 50), 12);
        Assert.Equal(1, ChanceLevel.PaperAveragePrecision(50, 50), 12);
    }
}
