using LabelSphere.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>
/// The label sets of one batch, as the heads' losses take them: the multi-hot [batch, N] the binary losses need, made
/// in native memory when first asked for, and the sets as (row, label id) pairs, from which the embedding heads sum
/// their targets E·v without any [batch, N] tensor. It owns the tensors it makes; dispose it after the loss.
/// </summary>
internal sealed class BatchLabels : IDisposable
{
    readonly long[] rows;   // [pairs] the batch row of each pair
    readonly long[] ids;    // [pairs] the label id of each pair
    Tensor? multiHot, rowTensor, idTensor;

    /// <summary>The label sets of instances <paramref name="indices"/> of <paramref name="labels"/>, in batch order.</summary>
    /// <param name="columns">N, the labels of the vocabulary (every id of the sets is below it).</param>
    /// <param name="device">Where the tensors are made.</param>
    public BatchLabels(LabelMatrix labels, int[] indices, int columns, Device device)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        long pairs = 0;
        foreach (var i in indices) pairs += labels.Row(i).Length;
        rows = new long[pairs];
        ids = new long[pairs];
        long at = 0;
        for (int i = 0; i < indices.Length; i++)
            foreach (var id in labels.Row(indices[i]))
            {
                if ((uint)id >= (uint)columns) throw new ArgumentOutOfRangeException(nameof(columns), columns, $"label {id} of instance {indices[i]} is not below {columns}");
                rows[at] = i;
                ids[at++] = id;
            }
        Count = indices.Length;
        Columns = columns;
        Device = device;
    }

    /// <summary>Instances in the batch.</summary>
    public int Count { get; }

    /// <summary>N, the labels a set may hold.</summary>
    public int Columns { get; }

    /// <summary>Where the tensors are.</summary>
    public Device Device { get; }

    /// <summary>[batch, N] 1 where the instance carries the label, else 0 (float32).</summary>
    public Tensor MultiHot => multiHot ??= Owned(() =>
    {
        var hot = zeros([Count, Columns], device: Device);
        var positions = new long[ids.Length];
        for (int p = 0; p < ids.Length; p++) positions[p] = rows[p] * Columns + ids[p];
        using var flat = hot.view(-1);
        using var index = tensor(positions, device: Device);
        flat.index_fill_(0, index, 1);
        return hot;
    });

    /// <summary>[pairs] int64: the batch row of each (row, label) pair, rows ascending.</summary>
    public Tensor Rows => rowTensor ??= Owned(() => tensor(rows, device: Device));

    /// <summary>[pairs] int64: the label id of each (row, label) pair.</summary>
    public Tensor Ids => idTensor ??= Owned(() => tensor(ids, device: Device));

    // Made in whatever dispose scope is open when first asked for, and kept for the batch: out of every scope.
    static Tensor Owned(Func<Tensor> make)
    {
        using var scope = NewDisposeScope();
        return make().DetachFromDisposeScope();
    }

    /// <summary>Frees the tensors made so far.</summary>
    public void Dispose()
    {
        multiHot?.Dispose();
        rowTensor?.Dispose();
        idTensor?.Dispose();
        multiHot = rowTensor = idTensor = null;
    }
}
