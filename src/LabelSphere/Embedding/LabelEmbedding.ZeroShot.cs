using LabelSphere.Data;

namespace LabelSphere.Embedding;

public sealed partial class LabelEmbedding
{
    /// <summary>
    /// Places a new label without refitting (the paper's section 3.3.1): its PMI m with every known label is
    /// measured with this embedding's marginals and options, and its row is the least-squares solution of
    /// E_k·e ≈ m, e_c = (Σ_j E_jc m_j) / λ_c (E_kᵀE_k = Σ_k because U is orthonormal). Known rows are unchanged.
    /// </summary>
    /// <param name="name">The new label's name; must not exist yet.</param>
    /// <param name="count">Instances carrying the new label, counted over the same instances as the embedding.</param>
    /// <param name="cooccurrences">[labels] instances carrying both the new label and each known label.</param>
    public LabelEmbedding AddLabel(string name, long count, ReadOnlySpan<long> cooccurrences) => AddLabels([new NewLabel(name, count, cooccurrences.ToArray())]);

    /// <summary>
    /// Places several new labels at once, each from its counts with this embedding's labels only, as
    /// <see cref="AddLabel"/> places one: what the new labels share with one another plays no part, so the result does
    /// not depend on their order.
    /// </summary>
    public LabelEmbedding AddLabels(IReadOnlyList<NewLabel> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0) throw new ArgumentException("no label to add", nameof(labels));
        var names = new HashSet<string>();
        int n = LabelCount, k = Dimension;
        var newVectors = new float[(long)(n + labels.Count) * k];
        vectors.CopyTo(newVectors, 0);
        for (int l = 0; l < labels.Count; l++)
        {
            var (name, count, cooccurrences) = labels[l];
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
            if (Vocabulary.Contains(name) || !names.Add(name)) throw new ArgumentException($"label '{name}' is already in the embedding", nameof(labels));
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
            if (count > Instances) throw new ArgumentOutOfRangeException(nameof(labels), count, $"'{name}' cannot occur more often than the embedding's {Instances} instances");
            ArgumentNullException.ThrowIfNull(cooccurrences);
            if (cooccurrences.Length != n) throw new ArgumentException($"{cooccurrences.Length} co-occurrence counts for {n} labels", nameof(labels));
            for (int j = 0; j < n; j++)
            {
                if (cooccurrences[j] < 0) throw new ArgumentOutOfRangeException(nameof(labels), $"the count of '{name}' with '{Vocabulary[j]}' is negative ({cooccurrences[j]})");
                long bound = Math.Min(count, labelCounts[j]);
                if (cooccurrences[j] > bound)
                    throw new ArgumentOutOfRangeException(nameof(labels), $"the count of '{name}' with '{Vocabulary[j]}' ({cooccurrences[j]}) exceeds the smaller of the two labels' counts ({bound})");
            }
            var m = Pmi.Row(count, cooccurrences, labelCounts, Marginals, Options.Pmi);
            FoldIn(m).CopyTo(newVectors, (long)(n + l) * k);
        }
        var vocabulary = Vocabulary;
        foreach (var label in labels) vocabulary = vocabulary.Append(label.Name);
        return new LabelEmbedding(vocabulary, [.. labelCounts, .. labels.Select(l => l.Count)], [.. zeroShot, .. labels.Select(_ => true)], Instances,
            EmptyInstances, newVectors, eigenvalues, Options, Marginals, Spectrum, Solver);
    }

    /// <summary>The row e minimising ‖E_k·e − m‖ for a PMI row m ([labels]) against the known labels.</summary>
    public float[] FoldIn(ReadOnlySpan<double> m)
    {
        if (m.Length != LabelCount) throw new ArgumentException($"{m.Length} PMI values for {LabelCount} labels", nameof(m));
        int k = Dimension;
        var projection = new double[k];
        for (int j = 0; j < LabelCount; j++)
        {
            if (m[j] == 0) continue;
            var e = Vector(j);
            for (int c = 0; c < k; c++) projection[c] += e[c] * m[j];
        }
        var row = new float[k];
        for (int c = 0; c < k; c++)
        {
            double lambda = eigenvalues[c];
            bool zeroColumn = Options.Negative == NegativeEigenvalues.Zero && lambda <= 0;
            row[c] = zeroColumn || lambda == 0 ? 0f : (float)(projection[c] / lambda);
        }
        return row;
    }

    /// <summary>The co-occurrence counts of a label with every known label, from annotations in which it appears.</summary>
    /// <param name="labels">Instances' label sets over this embedding's labels.</param>
    /// <param name="carriesNew">[instances] whether each instance carries the new label.</param>
    public (long Count, long[] Cooccurrences) CountWith(LabelMatrix labels, ReadOnlySpan<bool> carriesNew)
    {
        if (carriesNew.Length != labels.Rows) throw new ArgumentException($"{carriesNew.Length} flags for {labels.Rows} instances");
        var co = new long[LabelCount];
        long count = 0;
        for (int r = 0; r < labels.Rows; r++)
        {
            if (!carriesNew[r]) continue;
            count++;
            foreach (var id in labels.Row(r)) co[id]++;
        }
        return (count, co);
    }
}

/// <summary>A label to place zero-shot: its name, how many instances carry it, and how many carry it with each known label.</summary>
/// <param name="Cooccurrences">[known labels] instances carrying both it and each known label.</param>
public sealed record NewLabel(string Name, long Count, long[] Cooccurrences);
