using System.Diagnostics;
using LabelSphere.Data;

namespace LabelSphere.Embedding;

/// <summary>
/// How often each label occurs and each pair of labels occurs together, over a number of instances: the
/// sufficient statistics of PMI. The pair counts are symmetric; only the upper triangle (i ≤ j) is stored, and
/// the diagonal holds each label's own count.
/// </summary>
public sealed class CooccurrenceCounts
{
    /// <summary>Above this many labels the pair counts are kept sparse (a dense triangle would pass 2 GB).</summary>
    internal const int DenseLimit = 32_768;

    readonly int[]? dense;                       // upper triangle, row-major, i ≤ j
    readonly Dictionary<long, long>? sparse;     // key i * labels + j, i < j

    internal CooccurrenceCounts(LabelVocabulary vocabulary, long instances, long emptyInstances, long[] labelCounts,
                                int[]? dense, Dictionary<long, long>? sparse)
    {
        Debug.Assert((dense is null) != (sparse is null));
        Vocabulary = vocabulary;
        Instances = instances;
        EmptyInstances = emptyInstances;
        this.labelCounts = labelCounts;
        this.dense = dense;
        this.sparse = sparse;
    }

    readonly long[] labelCounts;

    /// <summary>The labels counted, in id order.</summary>
    public LabelVocabulary Vocabulary { get; }

    /// <summary>Number of labels.</summary>
    public int LabelCount => Vocabulary.Count;

    /// <summary>Number of instances counted, those without labels included.</summary>
    public long Instances { get; }

    /// <summary>Number of instances that carried no label; -1 when unknown (counts read from a pair-counts file).</summary>
    public long EmptyInstances { get; }

    /// <summary>Instances carrying each label, length <see cref="LabelCount"/>.</summary>
    public ReadOnlySpan<long> LabelCounts => labelCounts;

    /// <summary>Whether pair counts are stored as a dense triangle.</summary>
    internal bool IsDense => dense is not null;

    /// <summary>Instances carrying both labels; for i = j the label's own count.</summary>
    public long Pair(int i, int j)
    {
        if ((uint)i >= (uint)LabelCount) throw new ArgumentOutOfRangeException(nameof(i));
        if ((uint)j >= (uint)LabelCount) throw new ArgumentOutOfRangeException(nameof(j));
        if (i == j) return labelCounts[i];
        if (i > j) (i, j) = (j, i);
        return dense is not null ? dense[TriangleIndex(i, j, LabelCount)] : sparse!.GetValueOrDefault((long)i * LabelCount + j);
    }

    /// <summary>Number of distinct label pairs (i &lt; j) seen together at least once.</summary>
    public long DistinctPairs()
    {
        if (sparse is not null) return sparse.Count;
        long n = 0;
        for (int i = 0; i < LabelCount; i++)
        {
            long start = TriangleIndex(i, i, LabelCount);
            for (int j = i + 1; j < LabelCount; j++) if (dense![start + (j - i)] != 0) n++;
        }
        return n;
    }

    /// <summary>
    /// Calls <paramref name="visit"/> for every pair i &lt; j with a non-zero count, rows in parallel;
    /// <paramref name="visit"/> must be safe to call from several threads for different i. Cancelling stops the
    /// visits and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public void ForEachPair(Action<int, int, long> visit, CancellationToken cancellationToken = default)
    {
        if (sparse is not null)
        {
            long visited = 0;
            foreach (var (key, count) in sparse)
            {
                if ((++visited & 0xFFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                visit((int)(key / LabelCount), (int)(key % LabelCount), count);
            }
            return;
        }
        int n = LabelCount;
        Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            long start = TriangleIndex(i, i, n);
            for (int j = i + 1; j < n; j++)
            {
                int c = dense![start + (j - i)];
                if (c != 0) visit(i, j, c);
            }
        });
    }

    /// <summary>The co-occurrence counts of label <paramref name="i"/> with every label (its own count at i).</summary>
    public long[] Row(int i)
    {
        var row = new long[LabelCount];
        for (int j = 0; j < LabelCount; j++) row[j] = Pair(i, j);
        return row;
    }

    /// <summary>
    /// Counts every instance of an annotation stream, reporting the bytes read after each chunk. Cancelling stops
    /// between chunks and within one, and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    internal static CooccurrenceCounts Count(AnnotationStream stream, IProgress<long>? bytesRead = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var counter = new CooccurrenceCounter(stream.Vocabulary);
        foreach (var chunk in stream.ReadChunks())
        {
            counter.Add(chunk.Labels, cancellationToken);
            bytesRead?.Report(stream.BytesRead);
            cancellationToken.ThrowIfCancellationRequested();
        }
        return counter.Build();
    }

    /// <summary>
    /// Counts the label sets of an in-memory matrix. Cancelling stops the count and throws
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public static CooccurrenceCounts Count(LabelVocabulary vocabulary, LabelMatrix labels, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(labels);
        var counter = new CooccurrenceCounter(vocabulary);
        counter.Add(labels, cancellationToken);
        return counter.Build();
    }

    internal static long TriangleIndex(int i, int j, int n) => (long)i * n - (long)i * (i - 1) / 2 + (j - i);
}

/// <summary>
/// Accumulates co-occurrence counts chunk by chunk, so annotations never need to fit in memory. Each chunk is
/// counted on every core: dense counts with atomic increments (exact, no per-thread copies of the triangle),
/// sparse counts in per-shard dictionaries merged after the chunk.
/// </summary>
internal sealed class CooccurrenceCounter
{
    readonly LabelVocabulary vocabulary;
    readonly long[] labelCounts;
    readonly int[]? dense;
    readonly Dictionary<long, long>? sparse;
    long instances;
    long empty;

    /// <summary>Starts counting over <paramref name="vocabulary"/>; dense up to <see cref="CooccurrenceCounts.DenseLimit"/> labels.</summary>
    public CooccurrenceCounter(LabelVocabulary vocabulary, bool? dense = null)
    {
        this.vocabulary = vocabulary;
        int n = vocabulary.Count;
        labelCounts = new long[n];
        if (dense ?? n <= CooccurrenceCounts.DenseLimit) this.dense = new int[CooccurrenceCounts.TriangleIndex(n - 1, n - 1, n) + 1];
        else sparse = [];
    }

    /// <summary>
    /// Adds the instances of one chunk; its label ids must be within the vocabulary. Cancelling throws
    /// <see cref="OperationCanceledException"/> and leaves the counter part-way through the chunk: do not use it further.
    /// </summary>
    public void Add(LabelMatrix chunk, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (chunk.Columns > vocabulary.Count)
            throw new ArgumentException($"chunk has {chunk.Columns} label columns, the vocabulary {vocabulary.Count}");
        int rows = chunk.Rows;
        if (dense is not null && instances + rows > int.MaxValue)
            throw new InvalidOperationException("dense pair counts are 32-bit: count more than 2,147,483,647 instances with a sparse counter");
        instances += rows;
        foreach (var id in chunk.Indices) labelCounts[id]++;
        for (int r = 0; r < rows; r++) if (chunk.Offsets[r + 1] == chunk.Offsets[r]) empty++;

        int shards = Math.Min(Environment.ProcessorCount * 4, Math.Max(1, rows / 256));
        int n = vocabulary.Count;
        var parallel = new ParallelOptions { CancellationToken = cancellationToken };
        if (dense is not null)
        {
            Parallel.For(0, shards, parallel, s =>
            {
                var (from, to) = Shard(rows, shards, s);
                for (int r = from; r < to; r++)
                {
                    if ((r & 1023) == 0 && cancellationToken.IsCancellationRequested) return;
                    var row = chunk.Row(r);
                    for (int a = 0; a < row.Length; a++)
                    {
                        long start = CooccurrenceCounts.TriangleIndex(row[a], row[a], n) - row[a];
                        for (int b = a + 1; b < row.Length; b++) Interlocked.Increment(ref dense[start + row[b]]);
                    }
                }
            });
            cancellationToken.ThrowIfCancellationRequested();
            return;
        }
        var partial = new Dictionary<long, long>[shards];
        Parallel.For(0, shards, parallel, s =>
        {
            var local = partial[s] = [];
            var (from, to) = Shard(rows, shards, s);
            for (int r = from; r < to; r++)
            {
                if ((r & 1023) == 0 && cancellationToken.IsCancellationRequested) return;
                var row = chunk.Row(r);
                for (int a = 0; a < row.Length; a++)
                    for (int b = a + 1; b < row.Length; b++)
                    {
                        long key = (long)row[a] * n + row[b];
                        local[key] = local.GetValueOrDefault(key) + 1;
                    }
            }
        });
        cancellationToken.ThrowIfCancellationRequested();
        foreach (var local in partial)
            foreach (var (key, count) in local) sparse![key] = sparse.GetValueOrDefault(key) + count;
    }

    static (int From, int To) Shard(int rows, int shards, int s) =>
        ((int)((long)rows * s / shards), (int)((long)rows * (s + 1) / shards));

    /// <summary>
    /// The counts so far; the counter must not be used afterwards. A dense triangle that is mostly zeros (the
    /// paper's 17,355 labels see 0.4% of their pairs) is handed over as a dictionary of the pairs seen, so that its
    /// n²/2 counts do not stay in memory through the fit.
    /// </summary>
    public CooccurrenceCounts Build()
    {
        if (dense is null) return new(vocabulary, instances, empty, labelCounts, null, sparse);
        int n = vocabulary.Count;
        var seen = new long[n];
        Parallel.For(0, n, i =>
        {
            long start = CooccurrenceCounts.TriangleIndex(i, i, n);
            for (int j = i + 1; j < n; j++) if (dense[start + (j - i)] != 0) seen[i]++;
        });
        long pairs = 0;
        foreach (var c in seen) pairs += c;
        // A dictionary entry takes about 40 bytes against 4 for a cell of the triangle: compact only when that saves
        // three quarters of the memory.
        if (pairs * 40 > dense.LongLength * sizeof(int) / 4) return new(vocabulary, instances, empty, labelCounts, dense, null);
        var compact = new Dictionary<long, long>((int)pairs);
        for (int i = 0; i < n; i++)
        {
            if (seen[i] == 0) continue;
            long start = CooccurrenceCounts.TriangleIndex(i, i, n);
            for (int j = i + 1; j < n; j++)
                if (dense[start + (j - i)] is var count and not 0) compact[(long)i * n + j] = count;
        }
        return new(vocabulary, instances, empty, labelCounts, null, compact);
    }
}
