using LabelSphere.Data;
using LabelSphere.Embedding;

namespace LabelSphere.Tests.Embedding;

public sealed class CooccurrenceCountsTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Counts_of_the_tiny_set_match_a_hand_count()
    {
        // Given the hand-made set
        var (vocabulary, labels) = Fixtures.Tiny();

        // When it is counted
        var counts = CooccurrenceCounts.Count(vocabulary, labels, cancellationToken: Ct);

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
        var dense = CooccurrenceCounts.Count(vocabulary, labels, cancellationToken: Ct);
        var sparseCounter = new CooccurrenceCounter(vocabulary, dense: false);
        sparseCounter.Add(labels, cancellationToken: Ct);
        var sparse = sparseCounter.Build();
        var chunkedCounter = new CooccurrenceCounter(vocabulary);
        for (int start = 0; start < labels.Rows; start += 7)
            chunkedCounter.Add(labels.SelectRows(Enumerable.Range(start, Math.Min(7, labels.Rows - start)).ToArray()), cancellationToken: Ct);
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

    [Fact]
    public void Counting_a_file_stops_after_the_chunk_in_which_it_was_cancelled()
    {
        // Given an Extreme Classification file of three reading chunks (65,536 instances each)
        var path = Path.Combine(Path.GetTempPath(), $"labelsphere-cancel-{Guid.NewGuid():N}_data.txt");
        try
        {
            const int instances = 3 * 65536;
            using (var writer = new StreamWriter(path))
            {
                writer.WriteLine($"{instances} 1 4");
                for (int i = 0; i < instances; i++) writer.WriteLine($"{i % 4},{(i + 1) % 4} 0:1");
            }
            using var stream = AnnotationReader.Open(path);
            using var cancel = new CancellationTokenSource();
            int reports = 0;

            // When the count is cancelled as the first chunk is reported
            var progress = new SynchronousProgress<long>(_ => { reports++; cancel.Cancel(); });
            Assert.Throws<OperationCanceledException>(() => CooccurrenceCounts.Count(stream, progress, cancel.Token));

            // Then no further chunk was counted
            Assert.Equal(1, reports);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Counting_with_a_cancelled_token_counts_nothing(bool dense)
    {
        // Given label sets and a token already cancelled
        var (vocabulary, labels) = Fixtures.Topics(60, 3000, 8, seed: 5);
        var counter = new CooccurrenceCounter(vocabulary, dense);

        // When they are counted, Then the count stops before adding anything
        Assert.Throws<OperationCanceledException>(() => counter.Add(labels, new CancellationToken(canceled: true)));
        Assert.Equal(0, counter.Build().Instances);
        Assert.Throws<OperationCanceledException>(() => CooccurrenceCounts.Count(vocabulary, labels, new CancellationToken(canceled: true)));
    }
}
