using LabelSphere.Data;

namespace LabelSphere.Training;

/// <summary>Sources with other label sets over the same inputs.</summary>
public static class InstanceSources
{
    /// <summary>
    /// <paramref name="source"/>'s instances, batched as it batches them, with the label sets
    /// <paramref name="labels"/> ([source.Count, at most source.Vocabulary.Count]) in place of its own: noisy training
    /// labels over clean inputs, for instance.
    /// </summary>
    public static IInstanceSource WithLabels(this IInstanceSource source, LabelMatrix labels)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Rows != source.Count) throw new ArgumentException($"{labels.Rows} label rows for {source.Count} instances");
        if (labels.Columns > source.Vocabulary.Count)
            throw new ArgumentException($"label matrix has {labels.Columns} columns, the vocabulary {source.Vocabulary.Count} labels");
        // Relabelling a relabelled source replaces the labels again rather than stacking wrappers.
        var inner = source is RelabeledSource relabeled ? relabeled.Inner : source;
        return new RelabeledSource(inner, labels.WithColumns(source.Vocabulary.Count));
    }

    sealed class RelabeledSource(IInstanceSource inner, LabelMatrix labels) : IInstanceSource
    {
        public IInstanceSource Inner { get; } = inner;

        public int Count => Inner.Count;

        public LabelVocabulary Vocabulary => Inner.Vocabulary;

        public LabelMatrix Labels { get; } = labels;

        public long[] InputShape => Inner.InputShape;

        public IEnumerable<InstanceBatch> Batches(int[] order, int batchSize, bool augment, int seed, CancellationToken cancellationToken = default) =>
            Inner.Batches(order, batchSize, augment, seed, cancellationToken);
    }
}
