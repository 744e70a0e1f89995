using LabelSphere.Training;

namespace LabelSphere.Tests.Training;

// Serial: the first test counts the process's thread-pool work items, which tests running alongside would add to.
[Collection(TorchCollection.Name)]
public sealed class PrefetchTests
{
    static IEnumerable<InstanceBatch> Numbered(int count, Action<int>? made = null)
    {
        for (int i = 0; i < count; i++)
        {
            made?.Invoke(i);
            yield return new InstanceBatch([i], [1, 1], [i]);
        }
    }

    [Fact]
    public void Prefetch_hands_batches_over_without_the_thread_pool()
    {
        // Given a producer far faster than its consumer, one batch ahead, so that it waits for a slot at every batch
        const int count = 2000;
        long before = ThreadPool.CompletedWorkItemCount;

        // When its 2,000 batches are read
        int read = 0;
        foreach (var batch in Prefetch.Batches(_ => Numbered(count), ahead: 1, CancellationToken.None))
        {
            Assert.Equal(read, batch.Indices[0]);
            read++;
        }

        // Then every batch arrived in order, and waking the waiting producer never went through the thread pool (a
        // bounded channel completes a waiting writer there: a work item per batch, and a worker that spins and yields
        // on the cores libtorch's threads train on)
        Assert.Equal(count, read);
        Assert.True(ThreadPool.CompletedWorkItemCount - before < count / 10,
            $"{ThreadPool.CompletedWorkItemCount - before} thread-pool work items for {count} batches");
    }

    [Fact]
    public void Prefetch_stays_within_its_batches_ahead_rethrows_the_producers_failure_and_stops_when_cancelled()
    {
        // Given a producer that records how far it got, three batches ahead
        int made = -1;
        using (var batches = Prefetch.Batches(_ => Numbered(100, i => Volatile.Write(ref made, i)), ahead: 3, CancellationToken.None).GetEnumerator())
        {
            // When the first batch is read
            Assert.True(batches.MoveNext());

            // Then the producer makes the batch read, three queued and one more it holds waiting for a slot, and no more
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref made) >= 4, TimeSpan.FromSeconds(30)));
            Thread.Sleep(50);
            Assert.Equal(4, Volatile.Read(ref made));
        }

        // Given a producer that fails at its fifth batch: the four before arrive, then its own exception
        var failing = Prefetch.Batches(_ => Numbered(10, i => { if (i == 4) throw new InvalidDataException("shard 2 changed"); }), 2, CancellationToken.None);
        var seen = new List<int>();
        var error = Assert.Throws<InvalidDataException>(() => { foreach (var batch in failing) seen.Add(batch.Indices[0]); });
        Assert.Equal("shard 2 changed", error.Message);
        Assert.Equal([0, 1, 2, 3], seen);

        // Given a run cancelled after its second batch: the enumeration throws OperationCanceledException at once, not
        // after the batches already queued
        using var cancel = new CancellationTokenSource();
        var cancelled = Prefetch.Batches(_ => Numbered(1000), 2, cancel.Token);
        seen.Clear();
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var batch in cancelled)
            {
                seen.Add(batch.Indices[0]);
                if (seen.Count == 2) cancel.Cancel();
            }
        });
        Assert.Equal([0, 1], seen);
    }
}
