using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using LabelSphere.Data;

namespace LabelSphere.Training;

/// <summary>
/// The instances of a pack as network input: rows read from memory-mapped shards (one mapped at a time), scaled, and
/// batched on a background thread a few batches ahead of the trainer, so that reading overlaps the steps. An epoch
/// visits the shards in an order drawn from (seed, epoch) and each shard's rows shuffled (<see cref="Pack.EpochOrder"/>),
/// so memory holds one shard's row order, never one of the whole pack.
/// </summary>
internal sealed class PackSource : IInstanceSource
{
    /// <summary>Batches prepared ahead of the one being trained on.</summary>
    const int Ahead = 4;

    readonly Pack pack;

    /// <summary>The rows of <paramref name="pack"/> with the label sets <paramref name="labels"/> (the pack's or mapped onto <paramref name="vocabulary"/>), scaled by <paramref name="transform"/>.</summary>
    public PackSource(Pack pack, LabelMatrix labels, LabelVocabulary vocabulary, FeatureTransform transform)
    {
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(transform);
        if (labels.Rows != pack.Rows) throw new ArgumentException($"{labels.Rows} label rows for {pack.Rows} instances");
        transform.CheckColumns(pack.Width, pack.Manifest.FeatureNamesHash, pack.Folder);
        this.pack = pack;
        Labels = labels.WithColumns(vocabulary.Count);
        Vocabulary = vocabulary;
        Transform = transform;
    }

    /// <inheritdoc />
    public int Count => pack.Rows;

    /// <inheritdoc />
    public LabelVocabulary Vocabulary { get; }

    /// <inheritdoc />
    public LabelMatrix Labels { get; }

    /// <inheritdoc />
    public long[] InputShape => [pack.Width];

    /// <inheritdoc />
    public FeatureTransform Transform { get; }

    /// <inheritdoc />
    public IEnumerable<InstanceBatch> Batches(int[] order, int batchSize, bool augment, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        foreach (var instance in order)
            if ((uint)instance >= (uint)pack.Rows) throw new ArgumentOutOfRangeException(nameof(order), instance, $"instance must be below {pack.Rows}");
        return Prefetch(order, batchSize, cancellationToken);
    }

    /// <inheritdoc />
    public IEnumerable<InstanceBatch> EpochBatches(int seed, int epoch, int skip, int batchSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        int mixed = Trainer.Mix(seed, epoch);
        // The epoch's setup happens here, as the in-memory permutation is drawn here: the trainer times its steps from
        // the first batch on, and checking a shard's SHA-256 (a quarter of a second at 2^20 rows of 64 features) is
        // opening data, once a process, not a step's wait.
        if (pack.FirstShard(mixed, skip) is var first and >= 0) pack.Check(first);
        return Prefetch(pack.EpochOrder(mixed, skip), batchSize, cancellationToken);
    }

    /// <summary>Adds the pack's size and its shards' SHA-256 (checked against the rows when mapped) to <paramref name="hash"/>.</summary>
    public void AppendInputs(IncrementalHash hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        Span<int> sizes = [pack.Width, Transform.Columns, (int)Transform.Scaling, pack.Rows, pack.Manifest.ShardRows];
        hash.AppendData(MemoryMarshal.AsBytes(sizes));
        hash.AppendData(MemoryMarshal.AsBytes(Transform.Idf));
        foreach (var shard in pack.Manifest.Shards) hash.AppendData(Encoding.ASCII.GetBytes(shard.Features.Sha256));
    }

    IEnumerable<InstanceBatch> Prefetch(IEnumerable<int> order, int batchSize, CancellationToken cancellationToken) =>
        Training.Prefetch.Batches(_ => Make(order, batchSize), Ahead, cancellationToken);

    /// <summary>The batches of <paramref name="order"/>, read from a reader of the pack that maps one shard at a time.</summary>
    IEnumerable<InstanceBatch> Make(IEnumerable<int> order, int batchSize)
    {
        using var reader = pack.OpenReader();
        int width = pack.Width;
        var indices = new List<int>(batchSize);
        foreach (var instance in order)
        {
            indices.Add(instance);
            if (indices.Count == batchSize) yield return Make(reader, indices, width);
        }
        if (indices.Count > 0) yield return Make(reader, indices, width);
    }

    InstanceBatch Make(Pack.ShardReader reader, List<int> indices, int width)
    {
        var inputs = new float[(long)indices.Count * width];
        for (int i = 0; i < indices.Count; i++) Transform.ApplyDense(reader.Row(indices[i]), inputs.AsSpan(i * width, width));
        var batch = new InstanceBatch(inputs, [indices.Count, width], [.. indices]);
        indices.Clear();
        return batch;
    }
}
