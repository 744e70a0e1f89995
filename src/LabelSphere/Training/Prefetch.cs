using System.Runtime.ExceptionServices;
using System.Threading.Channels;

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
        var channel = Channel.CreateBounded<InstanceBatch>(new BoundedChannelOptions(ahead)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        ExceptionDispatchInfo? failure = null;
        var producer = Task.Factory.StartNew(() =>
        {
            try
            {
                foreach (var batch in produce(stop.Token)) channel.Writer.WriteAsync(batch, stop.Token).AsTask().GetAwaiter().GetResult();
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
                channel.Writer.TryComplete();
            }
        }, stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            while (channel.Reader.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult())
            {
                while (channel.Reader.TryRead(out var batch)) yield return batch;
            }
            cancellationToken.ThrowIfCancellationRequested();
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
