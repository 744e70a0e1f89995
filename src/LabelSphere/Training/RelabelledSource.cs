using LabelSphere.Data;

namespace LabelSphere.Training;

/// <summary>
/// The inputs of another source with other label sets: the same instances, in the same order, over another
/// vocabulary (labels held out for a zero-shot test, or label noise added for a denoising test).
/// </summary>
public sealed class RelabelledSource : IInstanceSource
{
    readonly IInstanceSource inputs;

    /// <summary>The instances of <paramref name="inputs"/>, labelled <paramref name="labels"/> over <paramref name="vocabulary"/>.</summary>
    /// <param name="labels">One label set per instance of <paramref name="inputs"/>.</param>
    public RelabelledSource(IInstanceSource inputs, LabelMatrix labels, LabelVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (labels.Rows != inputs.Count) throw new ArgumentException($"{labels.Rows} label sets for {inputs.Count} instances", nameof(labels));
        if (labels.Columns > vocabulary.Count) throw new ArgumentException($"label matrix has {labels.Columns} columns, the vocabulary {vocabulary.Count} labels", nameof(labels));
        this.inputs = inputs;
        Labels = labels.WithColumns(vocabulary.Count);
        Vocabulary = vocabulary;
    }

    /// <inheritdoc />
    public int Count => inputs.Count;

    /// <inheritdoc />
    public LabelVocabulary Vocabulary { get; }

    /// <inheritdoc />
    public LabelMatrix Labels { get; }

    /// <inheritdoc />
    public long[] InputShape => inputs.InputShape;

    /// <inheritdoc />
    public IEnumerable<InstanceBatch> Batches(int[] order, int batchSize, bool augment, int seed, CancellationToken cancellationToken = default) =>
        inputs.Batches(order, batchSize, augment, seed, cancellationToken);
}
