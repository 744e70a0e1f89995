using System.Runtime.InteropServices;
using System.Security.Cryptography;
using LabelSphere.Data;

namespace LabelSphere.Training;

/// <summary>One mini-batch of network inputs, as managed memory so that it can be prepared on any thread.</summary>
/// <param name="Inputs">[Indices.Length, ..InputShape] float32, row-major.</param>
/// <param name="Shape">The batch's shape: [Indices.Length, ..InputShape].</param>
/// <param name="Indices">Which instances of the source, in batch order.</param>
internal sealed record InstanceBatch(float[] Inputs, long[] Shape, int[] Indices);

/// <summary>
/// Instances a network learns from: their inputs, made batch by batch (features densified one batch at a time,
/// images decoded on worker threads), and their label sets over a vocabulary.
/// </summary>
internal interface IInstanceSource
{
    /// <summary>Number of instances.</summary>
    int Count { get; }

    /// <summary>The labels the label sets refer to.</summary>
    LabelVocabulary Vocabulary { get; }

    /// <summary>[instances, labels] label sets.</summary>
    LabelMatrix Labels { get; }

    /// <summary>Shape of one instance's input: [features] or [channels, height, width].</summary>
    long[] InputShape { get; }

    /// <summary>
    /// The fitted feature scaling applied to every row, which a model trained on the source saves and prediction applies
    /// again; null when the inputs are not scaled feature vectors.
    /// </summary>
    FeatureTransform? Transform => null;

    /// <summary>
    /// The instances listed in <paramref name="order"/>, in batches of at most <paramref name="batchSize"/>;
    /// with <paramref name="augment"/>, random flips and crops where the source has them, drawn from
    /// <paramref name="seed"/> so that a run is repeatable. Sources may prepare batches ahead on other threads.
    /// </summary>
    IEnumerable<InstanceBatch> Batches(int[] order, int batchSize, bool augment, int seed, CancellationToken cancellationToken = default);

    /// <summary>
    /// The training batches of epoch <paramref name="epoch"/> after its first <paramref name="skip"/> instances: the
    /// order is a function of (<paramref name="seed"/>, <paramref name="epoch"/>) alone, so that a resumed run continues
    /// it exactly. By default every instance in <see cref="Trainer.Permutation"/>'s order, augmented with
    /// <see cref="Trainer.Mix"/>(seed, epoch); a source too large for an order of its whole size overrides it.
    /// The epoch's setup (drawing the order, opening and checking the data it starts with) is done by this call, so that
    /// what enumerating it costs is the batches alone, which the trainer counts in its examples per second.
    /// </summary>
    IEnumerable<InstanceBatch> EpochBatches(int seed, int epoch, int skip, int batchSize, CancellationToken cancellationToken = default)
    {
        var order = Trainer.Permutation(Count, seed, epoch);
        return Batches(order[Math.Min(skip, order.Length)..], batchSize, augment: true, Trainer.Mix(seed, epoch), cancellationToken);
    }

    /// <summary>
    /// Adds what defines the instances' inputs to <paramref name="hash"/>, so that a checkpoint tells changed data
    /// from the same: by default every input, batch by batch, unaugmented; sources override it with something
    /// cheaper that still changes whenever an input does.
    /// </summary>
    void AppendInputs(IncrementalHash hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var order = new int[Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        foreach (var batch in Batches(order, 512, augment: false, seed: 0))
            hash.AppendData(MemoryMarshal.AsBytes(batch.Inputs.AsSpan()));
    }
}

/// <summary>A network body: an input batch in, features [batch, <see cref="OutputSize"/>] out. Heads go on top.</summary>
internal interface IBackbone
{
    /// <summary>Width of the features the backbone produces.</summary>
    int OutputSize { get; }
}
