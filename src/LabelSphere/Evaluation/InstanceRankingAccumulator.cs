using System.Numerics;
using LabelSphere.Data;

namespace LabelSphere.Evaluation;

/// <summary>
/// Streams score batches and accumulates the instance-wise metrics of the extreme-classification literature, P@k,
/// nDCG@k and propensity-scored P@k, from each instance's top classes (a partial selection; equal scores rank the
/// lower class id first). Memory does not grow with the number of instances.
/// </summary>
internal sealed class InstanceRankingAccumulator
{
    readonly int classes;
    readonly int[] cutoffs;
    readonly int top;
    readonly EmptyInstances empty;
    readonly double[]? inversePropensities;
    readonly double[] idealGains;   // idealGains[j] = Σ_{r ≤ j+1} 1/log2(r + 1)
    readonly double[] precisionSums, ndcgSums, pspSums, bestPspSums;
    long counted, withoutLabels;

    /// <summary>An empty accumulator for <paramref name="classes"/> classes.</summary>
    /// <param name="inversePropensities">1/p_l per class (<see cref="Propensity.Inverse(ReadOnlySpan{long}, long, double, double)"/>); empty to skip PSP@k.</param>
    public InstanceRankingAccumulator(int classes, MetricsOptions? options = null, ReadOnlySpan<double> inversePropensities = default)
    {
        options ??= new MetricsOptions();
        options.Validate(classes);
        if (!inversePropensities.IsEmpty)
        {
            if (inversePropensities.Length != classes)
                throw new ArgumentException($"there must be one inverse propensity per class ({classes}), got {inversePropensities.Length}", nameof(inversePropensities));
            foreach (var w in inversePropensities)
                if (!(w > 0) || double.IsInfinity(w))
                    throw new ArgumentOutOfRangeException(nameof(inversePropensities), w, "inverse propensities must be finite and positive");
            this.inversePropensities = inversePropensities.ToArray();
        }
        this.classes = classes;
        cutoffs = [.. options.Cutoffs];
        top = cutoffs.Max();
        empty = options.EmptyInstances;
        idealGains = new double[top];
        for (int j = 0; j < top; j++) idealGains[j] = (j > 0 ? idealGains[j - 1] : 0) + 1 / Math.Log2(j + 2);
        precisionSums = new double[cutoffs.Length];
        ndcgSums = new double[cutoffs.Length];
        pspSums = new double[cutoffs.Length];
        bestPspSums = new double[cutoffs.Length];
    }

    /// <summary>Number of classes.</summary>
    public int Classes => classes;

    /// <summary>Adds a batch; its instances are ranked in parallel and summed in instance order, so any batching gives the same sums.</summary>
    /// <param name="scores">[batch, classes] row-major; NaN is refused.</param>
    /// <param name="truth">The batch's true label sets, ids below <see cref="Classes"/>.</param>
    public void Add(ReadOnlyMemory<float> scores, LabelMatrix truth) =>
        AddChecked(scores, ClassRankingAccumulator.CheckBatch(scores.Span, truth, classes), truth);

    internal void AddChecked(ReadOnlyMemory<float> scores, int batch, LabelMatrix truth)
    {
        int width = cutoffs.Length;
        var values = new double[batch * width * 4];   // [batch, metric, cutoff]
        int shard = Math.Max(8, batch / (4 * Environment.ProcessorCount) + 1);
        int shards = (batch + shard - 1) / shard;
        Parallel.For(0, shards, s =>
        {
            var topIds = new int[top];
            var topScores = new float[top];
            var gains = new double[top];
            for (int r = s * shard, end = Math.Min(batch, (s + 1) * shard); r < end; r++)
                Measure(scores.Span.Slice(r * classes, classes), truth.Row(r), topIds, topScores, gains, values.AsSpan(r * width * 4, width * 4));
        });
        for (int r = 0; r < batch; r++)
        {
            if (truth.Row(r).IsEmpty)
            {
                withoutLabels++;
                if (empty == EmptyInstances.Skip) continue;
            }
            counted++;
            var v = values.AsSpan(r * width * 4, width * 4);
            for (int j = 0; j < width; j++)
            {
                precisionSums[j] += v[j];
                ndcgSums[j] += v[width + j];
                pspSums[j] += v[2 * width + j];
                bestPspSums[j] += v[3 * width + j];
            }
        }
    }

    void Measure(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, int[] topIds, float[] topScores, double[] gains, Span<double> values)
    {
        SelectTop(scores, topIds, topScores);
        int width = cutoffs.Length;
        for (int j = 0; j < width; j++)
        {
            int k = cutoffs[j];
            int hits = 0;
            double dcg = 0, psp = 0;
            for (int r = 0; r < k; r++)
            {
                if (labels.BinarySearch(topIds[r]) < 0) continue;
                hits++;
                dcg += 1 / Math.Log2(r + 2);
                if (inversePropensities is not null) psp += inversePropensities[topIds[r]];
            }
            values[j] = (double)hits / k;
            values[width + j] = labels.IsEmpty ? 0 : dcg / idealGains[Math.Min(k, labels.Length) - 1];
            values[2 * width + j] = psp / k;
        }
        if (inversePropensities is null || labels.IsEmpty) return;
        // The best achievable PSP@k puts the true labels with the largest 1/p first.
        int count = Math.Min(top, labels.Length);
        var best = gains.AsSpan(0, count);
        best.Fill(double.NegativeInfinity);
        foreach (var l in labels)
        {
            double g = inversePropensities[l];
            if (g <= best[count - 1]) continue;
            int i = count - 1;
            while (i > 0 && best[i - 1] < g)
            {
                best[i] = best[i - 1];
                i--;
            }
            best[i] = g;
        }
        for (int j = 0; j < width; j++)
        {
            int k = cutoffs[j];
            double sum = 0;
            for (int r = 0; r < Math.Min(k, count); r++) sum += best[r];
            values[3 * width + j] = sum / k;
        }
    }

    // Keeps the `top` best classes, best first; a class displaces a kept one only with a strictly higher score, so
    // among equal scores the lower id, met first, stays ahead. Once `top` are kept, blocks of scores none of which
    // beats the worst kept one are skipped with a vector compare.
    void SelectTop(ReadOnlySpan<float> scores, int[] ids, float[] values)
    {
        for (int c = 0; c < top; c++) Insert(c, c, scores[c], ids, values);
        int i = top;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<float>.Count <= scores.Length; i += Vector<float>.Count)
                if (Vector.GreaterThanAny(new Vector<float>(scores[i..]), new Vector<float>(values[top - 1])))
                    for (int c = i; c < i + Vector<float>.Count; c++)
                        if (scores[c] > values[top - 1]) Insert(top - 1, c, scores[c], ids, values);
        for (; i < scores.Length; i++)
            if (scores[i] > values[top - 1]) Insert(top - 1, i, scores[i], ids, values);
    }

    // Puts class c at position `slot` (the first free one, or the last, whose occupant drops out) and moves it up past
    // every kept class with a strictly lower score.
    static void Insert(int slot, int c, float score, int[] ids, float[] values)
    {
        int i = slot;
        while (i > 0 && values[i - 1] < score)
        {
            values[i] = values[i - 1];
            ids[i] = ids[i - 1];
            i--;
        }
        values[i] = score;
        ids[i] = c;
    }

    /// <summary>The means over the instances counted so far.</summary>
    public InstanceRankingMetrics Compute()
    {
        int width = cutoffs.Length;
        var precision = new double[width];
        var ndcg = new double[width];
        double[]? psp = inversePropensities is null ? null : new double[width];
        double[]? normalised = inversePropensities is null ? null : new double[width];
        for (int j = 0; j < width; j++)
        {
            precision[j] = counted > 0 ? precisionSums[j] / counted : double.NaN;
            ndcg[j] = counted > 0 ? ndcgSums[j] / counted : double.NaN;
            if (psp is null || normalised is null) continue;
            psp[j] = counted > 0 ? pspSums[j] / counted : double.NaN;
            normalised[j] = bestPspSums[j] > 0 ? pspSums[j] / bestPspSums[j] : double.NaN;
        }
        return new InstanceRankingMetrics([.. cutoffs], empty, counted, withoutLabels, precision, ndcg, psp, normalised);
    }
}
