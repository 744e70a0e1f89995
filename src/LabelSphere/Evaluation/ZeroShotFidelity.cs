using LabelSphere.Data;
using LabelSphere.Embedding;

namespace LabelSphere.Evaluation;

/// <summary>How faithfully a label placed zero-shot reproduces the position it has when fitted with the others.</summary>
/// <param name="Label">The label held out.</param>
/// <param name="ProximityCorrelation">Pearson r between its cosines to every other label in the full fit and after placement.</param>
/// <param name="NeighbourOverlap">Share of its nearest labels in the full fit that are also nearest after placement.</param>
public sealed record ZeroShotFidelity(string Label, double ProximityCorrelation, double NeighbourOverlap)
{
    /// <summary>
    /// Removes <paramref name="label"/> from the annotations, refits with <paramref name="full"/>'s options, places
    /// the label back from its co-occurrences (<see cref="LabelEmbedding.AddLabel"/>), and compares.
    /// </summary>
    /// <param name="labels">The annotations <paramref name="full"/> was fitted on, over <paramref name="vocabulary"/>.</param>
    public static ZeroShotFidelity Measure(LabelVocabulary vocabulary, LabelMatrix labels, LabelEmbedding full, int label, int neighbours = 5)
    {
        int n = vocabulary.Count;
        ArgumentOutOfRangeException.ThrowIfNotEqual(full.Labels, n);
        if ((uint)label >= (uint)n) throw new ArgumentOutOfRangeException(nameof(label), label, $"label must be below {n}");
        var keep = Enumerable.Range(0, n).Where(i => i != label).ToArray();
        var without = labels.SelectColumns(keep);
        var carries = new bool[labels.Rows];
        for (int r = 0; r < labels.Rows; r++) carries[r] = labels.Row(r).BinarySearch(label) >= 0;
        var reducedVocabulary = new LabelVocabulary(keep.Select(i => vocabulary[i]));
        var options = full.Options with { Dimension = Math.Min(full.Dimension, n - 1) };
        var reduced = LabelEmbedding.Fit(CooccurrenceCounts.Count(reducedVocabulary, without), options);
        var (count, co) = reduced.CountWith(without, carries);
        var placed = reduced.AddLabel(vocabulary[label], count, co);

        var before = keep.Select(j => full.Proximity(label, j)).ToArray();
        // The label placed is the last row; the kept labels keep their order, so kept label keep[j] is row j.
        var after = Enumerable.Range(0, keep.Length).Select(j => placed.Proximity(n - 1, j)).ToArray();
        var nearFull = full.Nearest(vocabulary[label], neighbours).Select(s => s.Name).ToHashSet();
        int shared = placed.Nearest(vocabulary[label], neighbours).Count(s => nearFull.Contains(s.Name));
        return new ZeroShotFidelity(vocabulary[label], Pearson(before, after), (double)shared / neighbours);
    }

    static double Pearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }
}
