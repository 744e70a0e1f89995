using LabelSphere.Data;
using LabelSphere.Embedding;

namespace LabelSphere.Tests.Embedding;

public sealed class CooccurrenceCountsTests
{
    [Fact]
    public void Counts_of_the_tiny_set_match_a_hand_count()
    {
        // Given the hand-made set
        var (vocabulary, labels) = Fixtures.Tiny();

        // When it is counted
        var counts = CooccurrenceCounts.Count(vocabulary, labels);

        // Then beach occurs 4 times, beach and sea together 3 times, snow never with beach, kite never
        Assert.Equal(12, counts.Instances);
        Assert.Equal(1, counts.EmptyInstances);
        Assert.Equal(4, counts.Pair(0, 0));
        Assert.Equal(3, counts.Pair(0, 1));
        Assert.Equal(3, counts.Pair(1, 0));
        Assert.Equal(0, counts.Pair(0, 5));
        Assert.Equal(0, counts.LabelCounts[7]);
    }

    [Fact]
    public void Dense_sparse_and_chunked_counting_agree_with_a_naive_count()
    {
        // Given a random structured set of 60 labels
        var (vocabulary, labels) = Fixtures.Topics(60, 3000, 8, seed: 5);
        var naive = new long[60, 60];
        for (int r = 0; r < labels.Rows; r++)
            foreach (var a in labels.Row(r))
                foreach (var b in labels.Row(r)) naive[a, b]++;

        // When it is counted densely in one go, sparsely, and densely in chunks of 7 rows
        var dense = CooccurrenceCounts.Count(vocabulary, labels);
        var sparseCounter = new CooccurrenceCounter(vocabulary, dense: false);
        sparseCounter.Add(labels);
        var sparse = sparseCounter.Build();
        var chunkedCounter = new CooccurrenceCounter(vocabulary);
        for (int start = 0; start < labels.Rows; start += 7)
            chunkedCounter.Add(labels.SelectRows(Enumerable.Range(start, Math.Min(7, labels.Rows - start)).ToArray()));
        var chunked = chunkedCounter.Build();

        // Then every pair count is the naive one
        Assert.True(dense.IsDense);
        Assert.False(sparse.IsDense);
        for (int i = 0; i < 60; i++)
            for (int j = 0; j < 60; j++)
            {
                Assert.Equal(naive[i, j], dense.Pair(i, j));
                Assert.Equal(naive[i, j], sparse.Pair(i, j));
                Assert.Equal(naive[i, j], chunked.Pair(i, j));
            }
        Assert.Equal(dense.DistinctPairs(), sparse.DistinctPairs());
    }
}
