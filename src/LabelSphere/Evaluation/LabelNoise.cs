using System.Diagnostics;
using System.Runtime.InteropServices;
using LabelSphere.Data;
using LabelSphere.Synthetic;

namespace LabelSphere.Evaluation;

/// <summary>Label sets with noise applied, and how many (instance, label) pairs the noise removed and added.</summary>
/// <param name="Labels">[instances, labels] the noisy label sets, same rows and columns as the clean ones.</param>
/// <param name="Removed">Positive pairs of the clean sets that are missing from <paramref name="Labels"/>.</param>
/// <param name="Added">Pairs of <paramref name="Labels"/> that the clean sets do not hold.</param>
internal sealed record NoisyLabels(LabelMatrix Labels, long Removed, long Added);

/// <summary>
/// Label noise for the denoising experiment (issue 4): training label sets with a share of their true labels
/// dropped, or with wrong labels added. Pure and seeded: each instance draws from its own stream of (seed, row),
/// so the result depends on the seed and the matrix only.
/// </summary>
internal static class LabelNoise
{
    /// <summary>The largest <see cref="Add"/> fraction: one wrong label per true label, half of the noisy labels wrong.</summary>
    public const double MaxAddFraction = 1.0;

    // Streams of the per-row generators, so that Drop and Add with the same seed draw independently.
    const int DropStream = 1, AddStream = 2;

    /// <summary>Attempts of the rejection sampler before it draws exactly from the labels an instance may still get.</summary>
    const int Rejections = 64;

    /// <summary>
    /// Removes each positive (instance, label) pair independently with probability <paramref name="fraction"/>,
    /// in [0, 1); instances may be left with no labels. A fraction of 0 returns the same label sets.
    /// </summary>
    public static NoisyLabels Drop(LabelMatrix labels, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (!(fraction >= 0 && fraction < 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, $"the drop fraction must be at least 0 and below 1, got {fraction}");
        var builder = new LabelMatrixBuilder();
        var kept = new List<int>();
        long removed = 0;
        for (int r = 0; r < labels.Rows; r++)
        {
            var random = new SplitMix(seed, DropStream, r);
            kept.Clear();
            foreach (var id in labels.Row(r))
            {
                if (random.NextDouble() < fraction) removed++;
                else kept.Add(id);
            }
            builder.AddSortedRow(CollectionsMarshal.AsSpan(kept));
        }
        return new NoisyLabels(builder.Build(labels.Columns), removed, 0);
    }

    /// <summary>
    /// Adds wrong labels to every instance: an instance with n labels gets ⌊f·n⌋ of them, and one more with
    /// probability f·n − ⌊f·n⌋ (round-stochastically, so f·n on average; instances without labels get none), where f
    /// is <paramref name="fraction"/>, between 0 and <see cref="MaxAddFraction"/>. Each is drawn without replacement
    /// from the label marginal, among the labels the instance does not have: label j with probability proportional
    /// to how many instances of <paramref name="labels"/> carry it, so the wrong tags are the plausible, frequent
    /// ones rather than uniform ones that a model could tell from the true tags by their rarity. Labels no instance
    /// carries are never added; an instance gets fewer when too few labels remain.
    /// </summary>
    public static NoisyLabels Add(LabelMatrix labels, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (!(fraction >= 0 && fraction <= MaxAddFraction))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction,
                $"the add fraction must be between 0 and {MaxAddFraction} (wrong labels per true label), got {fraction}");
        var counts = labels.LabelCounts();
        var carried = new List<int>();
        for (int j = 0; j < counts.Length; j++) if (counts[j] > 0) carried.Add(j);
        if (fraction == 0 || carried.Count == 0) return new NoisyLabels(labels, 0, 0);

        var marginal = new AliasTable(carried, j => counts[j]);
        var builder = new LabelMatrixBuilder();
        var row = new List<int>();
        var taken = new HashSet<int>();
        long added = 0;
        for (int r = 0; r < labels.Rows; r++)
        {
            var random = new SplitMix(seed, AddStream, r);
            var clean = labels.Row(r);
            double expected = fraction * clean.Length;
            int wanted = (int)Math.Floor(expected);
            if (random.NextDouble() < expected - wanted) wanted++;
            taken.Clear();
            foreach (var id in clean) taken.Add(id);
            int available = carried.Count;
            foreach (var id in clean) if (counts[id] > 0) available--;
            wanted = Math.Min(wanted, available);

            row.Clear();
            foreach (var id in clean) row.Add(id);
            for (int k = 0; k < wanted; k++)
            {
                int drawn = DrawAbsent(marginal, carried, counts, taken, ref random);
                taken.Add(drawn);
                row.Add(drawn);
            }
            added += wanted;
            Debug.Assert(row.Count == clean.Length + wanted);
            builder.AddRow(CollectionsMarshal.AsSpan(row));
        }
        return new NoisyLabels(builder.Build(labels.Columns), 0, added);
    }

    /// <summary>
    /// A label drawn from the marginal restricted to labels outside <paramref name="taken"/>: rejection from the
    /// alias table while that is cheap, then an exact draw over the remaining labels (an instance holding most of
    /// the frequent labels would otherwise reject for long). At least one carried label must be outside.
    /// </summary>
    static int DrawAbsent(AliasTable marginal, List<int> carried, long[] counts, HashSet<int> taken, ref SplitMix random)
    {
        for (int attempt = 0; attempt < Rejections; attempt++)
        {
            int candidate = marginal.Draw(ref random);
            if (!taken.Contains(candidate)) return candidate;
        }
        double total = 0;
        foreach (var j in carried) if (!taken.Contains(j)) total += counts[j];
        double target = random.NextDouble() * total;
        int last = -1;
        foreach (var j in carried)
        {
            if (taken.Contains(j)) continue;
            last = j;
            target -= counts[j];
            if (target < 0) return j;
        }
        Debug.Assert(last >= 0, "no label left to add");
        return last;
    }
}
