using LabelSphere.Data;
using LabelSphere.Evaluation;

namespace LabelSphere.Tests.Evaluation;

public sealed class RankingMetricsTests
{
    [Fact]
    public void Precision_at_k_counts_hits_in_the_top_k_over_k()
    {
        // Given two instances, the second without labels
        var truth = new LabelMatrix([0, 2, 2], [1, 4], 6);
        int[][] ranked = [[4, 0, 1, 2, 3], [0, 1, 2, 3, 4]];

        // When precision@1/3/5 is measured
        var p = RankingMetrics.Evaluate(ranked, truth);

        // Then the first scores 1, 2/3, 2/5 and the empty one 0, averaged over both
        Assert.Equal(0.5, p.At1, 10);
        Assert.Equal(1.0 / 3, p.At3, 10);
        Assert.Equal(0.2, p.At5, 10);
        Assert.Equal(2, p.Instances);
    }

    [Fact]
    public void Most_frequent_labels_come_by_count_then_id()
    {
        var labels = new LabelMatrix([0, 2, 4, 5], [1, 2, 2, 3, 3], 4);
        Assert.Equal([2, 3, 1], RankingMetrics.MostFrequent(labels, 3));
        Assert.Equal([2, 3, 1, 0], RankingMetrics.MostFrequent(labels, 10));
    }
}
