using System.Security.Cryptography;
using LabelSphere.Data;

namespace LabelSphere.Training;

/// <summary>Sources with other label sets over the same inputs.</summary>
public static class InstanceSources
{
    /// <summary>
    /// <paramref name="source"/>'s instances, batched as it batches them, with the label sets
    /// <paramref name="labels"/> ([source.Count, at most source.Vocabulary.Count]) in place of its own: noisy training
    /// labels over clean inputs, for instance, or labels held out for a zero-shot test.
    /// </summary>
    /// <param name="vocabulary">The vocabulary <paramref name="labels"/> refer to; the source's own when null.</param>
    public static IInstanceSource WithLabels(this IInstanceSource source, LabelMatrix labels, LabelVocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(labels);
        vocabulary ??= source.Vocabulary;
        if (labels.Rows != source.Count) throw new ArgumentException($"{labels.Rows} label rows for {source.Count} instances");
        if (labels.Columns > vocabulary.Count)
            throw new ArgumentException($"label matrix has {labels.Columns} columns, the vocabulary {vocabulary.Count} labels");
        // Relabelling a relabelled source replaces the labels again rather than stacking wrappers.
        var inner = source is RelabeledSource relabeled ? relabeled.Inner : source;
        return new RelabeledSource(inner, labels.WithColumns(vocabulary.Count), vocabulary);
    }

    sealed class RelabeledSource(IInstanceSource inner, LabelMatrix labels, LabelVocabulary vocabulary) : IInstanceSource
    {
        public IInstanceSource Inner { get; } = inner;

        public int Count => Inner.Count;

        public LabelVocabulary Vocabulary { get; } = vocabulary;

        public LabelMatrix Labels { get; } = labels;

        public long[] InputShape => Inner.InputShape;

        public IEnumerable<InstanceBatch> Batches(int[] order, int batchSize, bool augment, int seed, CancellationToken cancellationToken = default) =>
            Inner.Batches(order, batchSize, augment, seed, cancellationToken);

        public void AppendInputs(IncrementalHash hash) => Inner.AppendInputs(hash);
    }
}
