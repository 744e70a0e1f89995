using LabelSphere.Embedding;
using System.Threading.Channels;

namespace LabelSphere.Serve;

/// <summary>Batches run so far by a <see cref="PredictionBatcher{TInput}"/>, whatever its input.</summary>
internal interface IPredictionBatcher : IAsyncDisposable
{
    /// <summary>Batches run so far, and the rows they held.</summary>
    (long Batches, long Rows) Counts { get; }
}

/// <summary>
/// Batches concurrent predictions: every request's rows (feature vectors, or encoded images) go into one channel, and
/// a single loop takes what arrives within <see cref="ServeOptions.BatchWindow"/> of the first waiting request (at most
/// <see cref="ServeOptions.MaxBatch"/> rows), ranks them with one call of its ranking function (such as
/// <see cref="LabelClassifier.PredictBatch(IReadOnlyList{float[]}, int, CancellationToken)"/>) and hands each request
/// its own rows back. A request is never split across batches.
/// </summary>
/// <typeparam name="TInput">One row: a feature vector, or an image's bytes.</typeparam>
internal sealed class PredictionBatcher<TInput> : IPredictionBatcher
{
    sealed record Pending(TInput[] Rows, int Top, TaskCompletionSource<ScoredLabel[][]> Done);

    readonly Func<TInput[], int, CancellationToken, ScoredLabel[][]> rank;
    readonly ServeOptions options;
    readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    readonly CancellationTokenSource stop = new();
    readonly Task loop;
    long batches, batchedRows;

    /// <param name="rank">The top p labels of each row of a batch, in order.</param>
    public PredictionBatcher(Func<TInput[], int, CancellationToken, ScoredLabel[][]> rank, ServeOptions options)
    {
        this.rank = rank;
        this.options = options;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Batches run so far, and the rows they held.</summary>
    public (long Batches, long Rows) Counts => (Interlocked.Read(ref batches), Interlocked.Read(ref batchedRows));

    /// <summary>The top <paramref name="top"/> labels of each of <paramref name="rows"/> (at most <see cref="ServeOptions.MaxBatch"/>).</summary>
    public Task<ScoredLabel[][]> PredictAsync(TInput[] rows, int top, CancellationToken cancellationToken)
    {
        var pending = new Pending(rows, top, new TaskCompletionSource<ScoredLabel[][]>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(PredictionBatcher<TInput>));
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    async Task RunAsync()
    {
        var reader = queue.Reader;
        var batch = new List<Pending>();
        Pending? carried = null;
        try
        {
            while (true)
            {
                var first = carried ?? await reader.ReadAsync(stop.Token);
                carried = null;
                batch.Clear();
                batch.Add(first);
                int rows = first.Rows.Length;
                // Wait a short window for others to join, up to the batch size.
                using (var window = CancellationTokenSource.CreateLinkedTokenSource(stop.Token))
                {
                    window.CancelAfter(options.BatchWindow);
                    try
                    {
                        while (rows < options.MaxBatch)
                        {
                            if (!reader.TryRead(out var next))
                            {
                                if (!await reader.WaitToReadAsync(window.Token)) break;
                                continue;
                            }
                            if (rows + next.Rows.Length > options.MaxBatch)
                            {
                                carried = next;
                                break;
                            }
                            batch.Add(next);
                            rows += next.Rows.Length;
                        }
                    }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                    {
                        // The window closed.
                    }
                }
                Run(batch, rows);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
        // Requests still waiting when the service stops are failed, not left hanging.
        if (carried is not null) carried.Done.TrySetCanceled();
        while (reader.TryRead(out var left)) left.Done.TrySetCanceled();
    }

    void Run(List<Pending> batch, int rows)
    {
        try
        {
            var all = new TInput[rows];
            int at = 0, top = 1;
            foreach (var pending in batch)
            {
                pending.Rows.CopyTo(all, at);
                at += pending.Rows.Length;
                top = Math.Max(top, pending.Top);
            }
            var ranked = rank(all, top, stop.Token);
            Interlocked.Increment(ref batches);
            Interlocked.Add(ref batchedRows, rows);
            at = 0;
            foreach (var pending in batch)
            {
                var mine = new ScoredLabel[pending.Rows.Length][];
                for (int i = 0; i < mine.Length; i++) mine[i] = ranked[at + i][..Math.Min(pending.Top, ranked[at + i].Length)];
                at += mine.Length;
                pending.Done.TrySetResult(mine);
            }
        }
        catch (Exception e)
        {
            foreach (var pending in batch) pending.Done.TrySetException(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }
}
