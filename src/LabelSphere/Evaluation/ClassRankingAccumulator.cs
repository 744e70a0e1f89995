using System.Diagnostics;
using System.Numerics;
using LabelSphere.Data;

namespace LabelSphere.Evaluation;

/// <summary>One instance in a class's ranking.</summary>
/// <param name="Instance">Position of the instance in the stream, from 0.</param>
/// <param name="Score">Its score for the class.</param>
/// <param name="Positive">Whether the class is among its true labels.</param>
internal readonly record struct RankedInstance(int Instance, float Score, bool Positive);

/// <summary>
/// Streams score batches and keeps, for every class, the <see cref="MetricsOptions.Depth"/> instances that score
/// highest for it (a bounded min-heap) and its number of positives, so that MAP@K and AP@K never need the whole
/// instances × classes score matrix: memory is about classes × depth × 9 bytes whatever the test set's size. Equal scores are
/// ranked by instance order, the earlier instance first.
/// </summary>
internal sealed class ClassRankingAccumulator
{
    const int MinShard = 16;

    readonly int classes;
    readonly int depth;
    readonly float[] heapScores;     // [classes, depth]; each class's slice is a heap, its worst entry at the root
    readonly int[] heapInstances;    // [classes, depth]
    readonly bool[] heapPositives;   // [classes, depth]
    readonly float[] floor;          // [classes]; the root's score once the heaps are full
    readonly long[] positives;       // [classes]
    int instances;

    /// <summary>An empty accumulator for <paramref name="classes"/> classes and rankings <paramref name="depth"/> deep.</summary>
    public ClassRankingAccumulator(int classes, int depth = MetricsOptions.PaperDepth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(depth);
        long cells = (long)classes * depth;
        if (cells > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(depth), depth, $"classes × depth must stay below {Array.MaxLength}, got {cells}");
        this.classes = classes;
        this.depth = depth;
        heapScores = new float[cells];
        heapInstances = new int[cells];
        heapPositives = new bool[cells];
        floor = new float[classes];
        positives = new long[classes];
    }

    /// <summary>Number of classes.</summary>
    public int Classes => classes;

    /// <summary>How many top instances each class keeps.</summary>
    public int Depth => depth;

    /// <summary>Instances added so far.</summary>
    public int Instances => instances;

    /// <summary>Test instances carrying each class so far, length <see cref="Classes"/>.</summary>
    public ReadOnlySpan<long> Positives => positives;

    /// <summary>
    /// Adds a batch: <paramref name="truth"/>.Rows instances, whose scores are rows of <paramref name="scores"/>.
    /// Classes are updated in parallel shards.
    /// </summary>
    /// <param name="scores">[batch, classes] row-major; NaN is refused.</param>
    /// <param name="truth">The batch's true label sets, ids below <see cref="Classes"/>.</param>
    public void Add(ReadOnlyMemory<float> scores, LabelMatrix truth) => AddChecked(scores, CheckBatch(scores.Span, truth, classes), truth);

    internal void AddChecked(ReadOnlyMemory<float> scores, int batch, LabelMatrix truth)
    {
        if ((long)instances + batch > int.MaxValue) throw new InvalidOperationException($"at most {int.MaxValue} instances can be ranked");
        int first = instances;
        int shard = Math.Max(MinShard, classes / (4 * Environment.ProcessorCount) + 1);
        int shards = (classes + shard - 1) / shard;
        Parallel.For(0, shards, s => AddShard(scores.Span, truth, first, s * shard, Math.Min(classes, (s + 1) * shard)));
        instances += batch;
    }

    // Each class belongs to one shard, so its heap, floor and positive count are written by one thread only.
    void AddShard(ReadOnlySpan<float> scores, LabelMatrix truth, int first, int from, int to)
    {
        int width = to - from;
        var floors = floor.AsSpan(from, width);
        for (int r = 0; r < truth.Rows; r++)
        {
            var row = truth.Row(r);
            int instance = first + r;
            var segment = scores.Slice(r * classes + from, width);
            int p = LowerBound(row, from);
            for (int q = p; q < row.Length && row[q] < to; q++) positives[row[q]]++;
            if (instance < depth)
            {
                // Every class is offered every instance, so all heaps fill together: the first `depth` instances enter all.
                for (int c = from; c < to; c++)
                {
                    bool positive = p < row.Length && row[p] == c;
                    if (positive) p++;
                    Push(c, instance, segment[c - from], positive);
                }
                continue;
            }
            // Once the heaps are full most scores fall below their class's floor; a vector compare skips a block at a time.
            int i = 0;
            if (Vector.IsHardwareAccelerated)
                for (; i + Vector<float>.Count <= width; i += Vector<float>.Count)
                    if (Vector.GreaterThanAny(new Vector<float>(segment[i..]), new Vector<float>(floors[i..])))
                        for (int j = i; j < i + Vector<float>.Count; j++) Consider(from + j, segment[j], instance, row);
            for (; i < width; i++) Consider(from + i, segment[i], instance, row);
        }
    }

    // Instances arrive in increasing order, so a newcomer whose score equals the floor (the worst kept score) ranks
    // after every kept instance with that score and is not kept: ties go to the earlier instance.
    void Consider(int c, float score, int instance, ReadOnlySpan<int> row)
    {
        if (score > floor[c]) Replace(c, score, instance, row.BinarySearch(c) >= 0);
    }

    // Adds to a heap that is still filling; its size is the instance number.
    void Push(int c, int instance, float score, bool positive)
    {
        int basis = c * depth;
        int i = instance;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!RanksBelow(score, instance, basis + parent)) break;
            Move(basis + parent, basis + i);
            i = parent;
        }
        Put(basis + i, score, instance, positive);
        if (instance == depth - 1) floor[c] = heapScores[basis];
    }

    // Replaces the root of a full heap (the worst kept entry) and sifts the newcomer down.
    void Replace(int c, float score, int instance, bool positive)
    {
        int basis = c * depth;
        int hole = 0;
        while (true)
        {
            int child = 2 * hole + 1;
            if (child >= depth) break;
            if (child + 1 < depth && RanksBelow(heapScores[basis + child + 1], heapInstances[basis + child + 1], basis + child)) child++;
            if (RanksBelow(score, instance, basis + child)) break;
            Move(basis + child, basis + hole);
            hole = child;
        }
        Put(basis + hole, score, instance, positive);
        floor[c] = heapScores[basis];
    }

    // Whether (score, instance) ranks below the kept entry j: a lower score, or an equal score and a later instance.
    bool RanksBelow(float score, int instance, int j) =>
        score < heapScores[j] || (score == heapScores[j] && instance > heapInstances[j]);

    void Move(int from, int to)
    {
        heapScores[to] = heapScores[from];
        heapInstances[to] = heapInstances[from];
        heapPositives[to] = heapPositives[from];
    }

    void Put(int i, float score, int instance, bool positive)
    {
        heapScores[i] = score;
        heapInstances[i] = instance;
        heapPositives[i] = positive;
    }

    /// <summary>The instances kept for class <paramref name="c"/>, best first: min(<see cref="Depth"/>, <see cref="Instances"/>) of them.</summary>
    public RankedInstance[] TopRanked(int c)
    {
        if ((uint)c >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(c), c, $"class must be below {classes}");
        int basis = c * depth, size = Math.Min(depth, instances);
        var ranked = new RankedInstance[size];
        for (int i = 0; i < size; i++) ranked[i] = new RankedInstance(heapInstances[basis + i], heapScores[basis + i], heapPositives[basis + i]);
        Array.Sort(ranked, static (x, y) => x.Score != y.Score ? y.Score.CompareTo(x.Score) : x.Instance.CompareTo(y.Instance));
        return ranked;
    }

    /// <summary>
    /// MAP@K as the paper writes it, unweighted and (when <paramref name="classWeights"/> is given) class-weighted, and
    /// the usual AP@K, over the classes with at least one positive so far.
    /// </summary>
    /// <param name="classWeights">One weight per class (<see cref="ClassWeights"/>), renormalised over the classes evaluated; empty for none.</param>
    public ClassRankingMetrics Compute(ReadOnlySpan<double> classWeights = default)
    {
        CheckWeights(classWeights, classes);
        var paper = new double[classes];
        var atDepth = new double[classes];
        int evaluated = 0;
        double paperSum = 0, atDepthSum = 0, weightedSum = 0, weightSum = 0;
        for (int c = 0; c < classes; c++)
        {
            if (positives[c] == 0)
            {
                paper[c] = atDepth[c] = double.NaN;
                continue;
            }
            var ranked = TopRanked(c);
            Debug.Assert(ranked.Length == Math.Min(depth, instances));
            (paper[c], atDepth[c]) = AveragePrecisions(ranked, positives[c], depth);
            evaluated++;
            paperSum += paper[c];
            atDepthSum += atDepth[c];
            if (!classWeights.IsEmpty)
            {
                weightedSum += classWeights[c] * paper[c];
                weightSum += classWeights[c];
            }
        }
        double? weighted = classWeights.IsEmpty ? null : weightSum > 0 ? weightedSum / weightSum : double.NaN;
        return new ClassRankingMetrics(depth, instances,
            evaluated > 0 ? paperSum / evaluated : double.NaN, weighted, evaluated > 0 ? atDepthSum / evaluated : double.NaN,
            evaluated, classes - evaluated, paper, atDepth, positives.ToArray());
    }

    /// <summary>
    /// The paper's Σ_{k≤m} P(k)/m and the usual Σ_{k≤m} P(k)·rel_k / min(positives, K) over a ranking of
    /// m = min(K, instances) entries, best first.
    /// </summary>
    internal static (double Paper, double AtDepth) AveragePrecisions(ReadOnlySpan<RankedInstance> ranked, long positives, int depth)
    {
        int hits = 0;
        double precisionSum = 0, relevantSum = 0;
        for (int k = 1; k <= ranked.Length; k++)
        {
            if (ranked[k - 1].Positive) hits++;
            double precision = (double)hits / k;
            precisionSum += precision;
            if (ranked[k - 1].Positive) relevantSum += precision;
        }
        return (precisionSum / ranked.Length, relevantSum / Math.Min(positives, depth));
    }

    static int LowerBound(ReadOnlySpan<int> sorted, int value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Checks that there is one finite, non-negative weight per class, or none.</summary>
    internal static void CheckWeights(ReadOnlySpan<double> classWeights, int classes)
    {
        if (classWeights.IsEmpty) return;
        if (classWeights.Length != classes)
            throw new ArgumentException($"there must be one class weight per class ({classes}), got {classWeights.Length}", nameof(classWeights));
        for (int c = 0; c < classes; c++)
            if (!(classWeights[c] >= 0) || double.IsInfinity(classWeights[c]))
                throw new ArgumentOutOfRangeException(nameof(classWeights), classWeights[c], $"class {c}'s weight must be finite and at least 0");
    }

    /// <summary>Checks that a batch's scores and label sets agree with each other and with the number of classes; returns the batch size.</summary>
    internal static int CheckBatch(ReadOnlySpan<float> scores, LabelMatrix truth, int classes)
    {
        ArgumentNullException.ThrowIfNull(truth);
        if (truth.Columns > classes)
            throw new ArgumentException($"the label sets refer to {truth.Columns} classes, more than the {classes} scored", nameof(truth));
        if ((long)truth.Rows * classes != scores.Length)
            throw new ArgumentException($"scores must hold {truth.Rows} rows of {classes} classes ({(long)truth.Rows * classes} values), got {scores.Length}", nameof(scores));
        for (int i = 0; i < scores.Length; i++)
            if (float.IsNaN(scores[i]))
                throw new ArgumentException($"the score of instance {i / classes} for class {i % classes} is NaN", nameof(scores));
        return truth.Rows;
    }
}
