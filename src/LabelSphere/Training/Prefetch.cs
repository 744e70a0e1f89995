using System.Runtime.ExceptionServices;

namespace LabelSphere.Training;

/// <summary>Batches made on a background thread a few ahead of their consumer, so that preparing them overlaps training.</summary>
internal static class Prefetch
{
    /// <summary>
    /// Enumerates <paramref name="produce"/>(token) on a background thread, at most <paramref name="ahead"/> batches ahead
    /// of the caller. The token is cancelled when the caller stops enumerating or <paramref name="cancellationToken"/> is
    /// cancelled, which then throws <see cref="OperationCanceledException"/> from the enumeration; an exception of the
    /// producer is thrown there too, with its own stack trace.
    /// </summary>
    public static IEnumerable<InstanceBatch> Batches(Func<CancellationToken, IEnumerable<InstanceBatch>> produce, int ahead,
                                                     CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(produce);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ahead);
        return Run(produce, ahead, cancellationToken);
    }

    static IEnumerable<InstanceBatch> Run(Func<CancellationToken, IEnumerable<InstanceBatch>> produce, int ahead, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A queue under its own monitor rather than a channel: a bounded channel hands a waiting writer its slot through
        // the thread pool, whose worker then spins and yields before it sleeps; on two cores that preempted libtorch's
        // OpenMP threads some 70 times a step (docs/scale.md). Monitor.Wait sleeps at once, and the side that frees or
        // fills a slot wakes the other itself.
        var queue = new Queue<InstanceBatch>(ahead);
        bool finished = false;
        ExceptionDispatchInfo? failure = null;
        using var wake = stop.Token.Register(() => { lock (queue) Monitor.PulseAll(queue); });
        var producer = Task.Factory.StartNew(() =>
        {
            try
            {
                foreach (var batch in produce(stop.Token))
                {
                    lock (queue)
                    {
                        while (queue.Count >= ahead && !stop.IsCancellationRequested) Monitor.Wait(queue);
                        stop.Token.ThrowIfCancellationRequested();
                        queue.Enqueue(batch);
                        Monitor.PulseAll(queue);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e is AggregateException { InnerExceptions.Count: 1 } one ? one.InnerExceptions[0] : e);
            }
            finally
            {
                lock (queue)
                {
                    finished = true;
                    Monitor.PulseAll(queue);
                }
            }
        }, stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            while (true)
            {
                InstanceBatch batch;
                lock (queue)
                {
                    while (queue.Count == 0 && !finished && !cancellationToken.IsCancellationRequested) Monitor.Wait(queue);
                    cancellationToken.ThrowIfCancellationRequested();
                    if (queue.Count == 0) break;
                    batch = queue.Dequeue();
                    Monitor.PulseAll(queue);
                }
                yield return batch;
            }
            failure?.Throw();
        }
        finally
        {
            stop.Cancel();
            // The producer checks the token between batches, so this wait is short.
            try { producer.Wait(CancellationToken.None); }
            catch (AggregateException) { }
        }
    }
}
