using LabelSphere.Data;

namespace LabelSphere.Evaluation;

/// <summary>
/// Per-class average precision over the whole ranking, as scikit-learn's <c>average_precision_score</c> computes it:
/// AP_n = Σ_t (R_t − R_{t−1})·P_t over the distinct scores t, highest first, with P_t and R_t the precision and recall
/// of the instances scoring at least t (tied instances enter together). Needs the full instances × classes score matrix.
/// </summary>
/// <param name="PerClass">AP of each class; NaN for classes without a positive test instance.</param>
/// <param name="Mean">The mean over the classes evaluated (scikit-learn's macro average restricted to them); NaN if none.</param>
/// <param name="ClassesEvaluated">Classes with at least one positive.</param>
/// <param name="ClassesWithoutPositives">Classes left out: scikit-learn warns and gives them AP 0, which would drag the mean down.</param>
public sealed record ExactAveragePrecision(double[] PerClass, double Mean, int ClassesEvaluated, int ClassesWithoutPositives)
{
    /// <summary>
    /// Sorts every class's column of <paramref name="scores"/>, classes in parallel; besides the matrix itself this
    /// takes one column (instances × 5 bytes) per worker thread.
    /// </summary>
    /// <param name="scores">[instances, classes] row-major; NaN is refused.</param>
    /// <param name="truth">The true label sets of the same instances, ids below <paramref name="classes"/>.</param>
    public static ExactAveragePrecision Compute(ReadOnlyMemory<float> scores, LabelMatrix truth, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        int instances = ClassRankingAccumulator.CheckBatch(scores.Span, truth, classes);
        // Column-wise positives (the transpose of the CSR label sets), so each class finds its positives directly.
        var starts = new int[classes + 1];
        foreach (var l in truth.Indices) starts[l + 1]++;
        for (int c = 0; c < classes; c++) starts[c + 1] += starts[c];
        var rows = new int[starts[classes]];
        var next = starts[..classes];
        for (int r = 0; r < instances; r++)
            foreach (var l in truth.Row(r)) rows[next[l]++] = r;

        var perClass = new double[classes];
        Parallel.For(0, classes,
            () => (Keys: new float[instances], Flags: new bool[instances]),
            (c, _, buffers) =>
            {
                int positives = starts[c + 1] - starts[c];
                if (positives == 0)
                {
                    perClass[c] = double.NaN;
                    return buffers;
                }
                var s = scores.Span;
                for (int r = 0; r < instances; r++) buffers.Keys[r] = -s[r * classes + c];
                Array.Clear(buffers.Flags);
                for (int i = starts[c]; i < starts[c + 1]; i++) buffers.Flags[rows[i]] = true;
                buffers.Keys.AsSpan().Sort(buffers.Flags.AsSpan());
                perClass[c] = OfSortedColumn(buffers.Keys, buffers.Flags, positives);
                return buffers;
            },
            _ => { });

        int evaluated = 0;
        double sum = 0;
        foreach (var ap in perClass)
        {
            if (double.IsNaN(ap)) continue;
            evaluated++;
            sum += ap;
        }
        return new ExactAveragePrecision(perClass, evaluated > 0 ? sum / evaluated : double.NaN, evaluated, classes - evaluated);
    }

    /// <summary>AP of one class whose negated scores are sorted ascending (best first), walking one threshold per distinct score.</summary>
    static double OfSortedColumn(ReadOnlySpan<float> negatedScores, ReadOnlySpan<bool> positive, int positives)
    {
        long truePositives = 0;
        double ap = 0, previousRecall = 0;
        for (int i = 0; i < negatedScores.Length;)
        {
            int j = i;
            while (j < negatedScores.Length && negatedScores[j] == negatedScores[i])
            {
                if (positive[j]) truePositives++;
                j++;
            }
            double recall = (double)truePositives / positives;
            ap += (recall - previousRecall) * truePositives / j;
            previousRecall = recall;
            i = j;
        }
        return ap;
    }
}
