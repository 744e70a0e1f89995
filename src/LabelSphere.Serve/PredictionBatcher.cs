using LabelSphere.Embedding;
using System.Threading.Channels;

namespace LabelSphere.Serve;

/// <summary>
/// Batches concurrent predictions: every request's rows (feature vectors, or encoded images) go into one channel, and
/// a single loop takes what arrives within <see cref="ServeOptions.BatchWindow"/> of the first waiting request (at most
/// <see cref="ServeOptions.MaxBatch"/> rows), ranks them with one call of its ranking function (such as
/// <see cref="ServedModel.PredictImages"/>) and hands each request its own rows back. A request is never split across batches,
/// and a batch holds the requests of one model snapshot only, ranked by that snapshot (after a reload, requests of the
/// old and the new model may both be waiting).
/// </summary>
/// <typeparam name="TInput">One row: a feature vector, or an image's bytes.</typeparam>
internal sealed class PredictionBatcher<TInput> : IAsyncDisposable
{
    sealed record Pending(ServedModel Model, TInput[] Rows, int Top, TaskCompletionSource<ScoredLabel[][]> Done);

    readonly Func<ServedModel, TInput[], int, CancellationToken, ScoredLabel[][]> rank;
    readonly ServeOptions options;
    readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    readonly CancellationTokenSource stop = new();
    readonly Task loop;
    long batches, batchedRows;

    /// <param name="rank">The top p labels of each row of a batch, in order, by the snapshot the batch's requests hold.</param>
    public PredictionBatcher(Func<ServedModel, TInput[], int, CancellationToken, ScoredLabel[][]> rank, ServeOptions options)
    {
        this.rank = rank;
        this.options = options;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Batches run so far, and the rows they held.</summary>
    public (long Batches, long Rows) Counts => (Interlocked.Read(ref batches), Interlocked.Read(ref batchedRows));

    /// <summary>
    /// The top <paramref name="top"/> labels of each of <paramref name="rows"/> (at most <see cref="ServeOptions.MaxBatch"/>)
    /// by <paramref name="model"/>, which the caller holds; the batch holds it too until it has run, so that a request
    /// given up meanwhile cannot let it be disposed under the batch.
    /// </summary>
    public Task<ScoredLabel[][]> PredictAsync(ServedModel model, TInput[] rows, int top, CancellationToken cancellationToken)
    {
        if (!model.TryAcquire()) throw new ObjectDisposedException(nameof(ServedModel));
        var pending = new Pending(model, rows, top, new TaskCompletionSource<ScoredLabel[][]>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!queue.Writer.TryWrite(pending))
        {
            model.Release();
            throw new ObjectDisposedException(nameof(PredictionBatcher<TInput>));
        }
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
                            if (rows + next.Rows.Length > options.MaxBatch || next.Model != first.Model)
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
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
        // Requests still waiting when the service stops are failed, not left hanging.
        foreach (var collected in batch) Cancel(collected);
        if (carried is not null) Cancel(carried);
        while (reader.TryRead(out var left)) Cancel(left);
    }

    static void Cancel(Pending pending)
    {
        pending.Done.TrySetCanceled();
        pending.Model.Release();
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
            var ranked = rank(batch[0].Model, all, top, stop.Token);
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
        finally
        {
            foreach (var pending in batch) pending.Model.Release();
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
