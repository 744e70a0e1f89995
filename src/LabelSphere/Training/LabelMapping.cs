using LabelSphere.Data;

namespace LabelSphere.Training;

/// <summary>
/// What mapping a data set's labels onto a model's vocabulary lost: labels the vocabulary lacks, the (instance,
/// label) pairs dropped with them, and instances left without any label.
/// </summary>
/// <param name="DataLabels">Labels in the data's vocabulary.</param>
/// <param name="MissingLabels">Names of the data's labels (carried by at least one instance) that the target vocabulary lacks.</param>
/// <param name="DroppedAssignments">(instance, label) pairs dropped because their label is missing.</param>
/// <param name="EmptyInstances">Instances without any label after mapping (including those that had none).</param>
internal sealed record LabelMappingReport(int DataLabels, IReadOnlyList<string> MissingLabels, long DroppedAssignments, int EmptyInstances);

/// <summary>Maps label sets from one vocabulary to another by label name.</summary>
internal static class LabelMapping
{
    /// <summary>
    /// The label sets of <paramref name="labels"/> (over <paramref name="from"/>) rewritten over <paramref name="to"/>;
    /// labels <paramref name="to"/> lacks are dropped and reported.
    /// </summary>
    public static (LabelMatrix Labels, LabelMappingReport Report) Map(LabelVocabulary from, LabelMatrix labels, LabelVocabulary to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(to);
        if (labels.Columns > from.Count) throw new ArgumentException($"label matrix has {labels.Columns} columns, the vocabulary {from.Count} labels");
        var ids = new int[from.Count];
        bool identity = from.Count == to.Count;
        for (int i = 0; i < from.Count; i++)
        {
            ids[i] = to.IndexOf(from[i]);
            identity &= ids[i] == i;
        }
        if (identity)
        {
            return (labels.WithColumns(to.Count), new LabelMappingReport(from.Count, [], 0, labels.EmptyRows()));
        }

        var builder = new LabelMatrixBuilder();
        var missing = new bool[from.Count];
        var row = new List<int>();
        long dropped = 0;
        int emptyAfter = 0;
        for (int r = 0; r < labels.Rows; r++)
        {
            row.Clear();
            foreach (var id in labels.Row(r))
            {
                if (ids[id] >= 0) row.Add(ids[id]);
                else { missing[id] = true; dropped++; }
            }
            if (row.Count == 0) emptyAfter++;
            builder.AddRow(row.ToArray());
        }
        var names = new List<string>();
        for (int i = 0; i < from.Count; i++) if (missing[i]) names.Add(from[i]);
        return (builder.Build(to.Count), new LabelMappingReport(from.Count, names, dropped, emptyAfter));
    }
}
