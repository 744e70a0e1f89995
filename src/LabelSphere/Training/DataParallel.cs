using System.Runtime.InteropServices;
using LabelSphere.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>A rank's part of a batch spread over several processes, as the shares of what the head's means average over.</summary>
/// <param name="Rows">This rank's rows over the batch's rows.</param>
/// <param name="Labelled">This rank's labelled rows over the batch's labelled rows (0 when the batch has none).</param>
internal sealed record BatchShare(double Rows, double Labelled);

/// <summary>The processes of a data-parallel job and the two collectives it needs.</summary>
internal interface ICommunicator
{
    /// <summary>This process's rank, 0 … <see cref="Size"/> − 1.</summary>
    int Rank { get; }

    /// <summary>The number of processes.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise sum over all ranks.</summary>
    void AllReduceSum(Span<float> values);

    /// <summary>Copies <paramref name="data"/> of rank <paramref name="root"/> into <paramref name="data"/> of every other rank.</summary>
    void Broadcast(Span<byte> data, int root);
}

/// <summary>
/// Data-parallel training over a <see cref="ICommunicator"/>: every rank sees the same order of instances; each
/// global batch of B = ranks × b rows is cut into slices, rank r taking rows [r·b, (r + 1)·b); the weights (and a
/// resumed optimizer's state) start as rank 0's; the gradients of every step are summed over the ranks, each rank's
/// loss weighted by its <see cref="BatchShare"/>, so that the step is the single-process step over the global batch.
/// </summary>
internal sealed class DataParallel(ICommunicator world)
{
    /// <summary>This process's rank.</summary>
    public int Rank => world.Rank;

    /// <summary>The number of processes.</summary>
    public int Size => world.Size;

    /// <summary>Whether this is rank 0, the one that measures and writes.</summary>
    public bool IsRoot => world.Rank == 0;

    /// <summary>
    /// This rank's rows of the global batch <paramref name="global"/> (of up to <paramref name="perRank"/> ×
    /// <see cref="Size"/> rows): rows [rank·perRank, (rank + 1)·perRank), fewer in an epoch's last batch, or null when
    /// that batch ends before this rank's slice.
    /// </summary>
    public InstanceBatch? LocalBatch(InstanceBatch global, int perRank)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perRank);
        var (from, count) = Slice(global.Indices.Length, perRank);
        if (count == 0) return null;
        if (count == global.Indices.Length) return global;
        int row = global.Indices.Length == 0 ? 0 : global.Inputs.Length / global.Indices.Length;
        long[] shape = [count, .. global.Shape[1..]];
        return new InstanceBatch(global.Inputs[(from * row)..((from + count) * row)], shape, global.Indices[from..(from + count)]);
    }

    /// <summary>Where this rank's slice starts in a global batch of <paramref name="rows"/> rows, and how many rows it has.</summary>
    public (int Start, int Count) Slice(int rows, int perRank)
    {
        int from = Math.Min(rows, Rank * perRank);
        return (from, Math.Min(rows, from + perRank) - from);
    }

    /// <summary>This rank's share of the global batch <paramref name="global"/>, whose rows <paramref name="local"/> it holds.</summary>
    public static BatchShare Share(LabelMatrix labels, ReadOnlySpan<int> global, ReadOnlySpan<int> local)
    {
        int globalLabelled = Labelled(labels, global), localLabelled = Labelled(labels, local);
        return new BatchShare(global.IsEmpty ? 0 : (double)local.Length / global.Length,
                              globalLabelled == 0 ? 0 : (double)localLabelled / globalLabelled);
    }

    static int Labelled(LabelMatrix labels, ReadOnlySpan<int> rows)
    {
        int count = 0;
        foreach (var i in rows) if (!labels.Row(i).IsEmpty) count++;
        return count;
    }

    /// <summary>
    /// Makes every rank start where rank 0 stands: its step, its weights and buffers, and (when it resumed) its
    /// optimizer's state. Each other rank's torch generator is then seeded from (<paramref name="seed"/>, rank, step),
    /// so that their dropout masks differ from rank 0's.
    /// </summary>
    public void Synchronize(nn.Module model, OptimizerHelper optimizer, int seed, ref int step)
    {
        var stepBytes = BitConverter.GetBytes(step);
        world.Broadcast(stepBytes, 0);
        step = BitConverter.ToInt32(stepBytes);
        using (NewDisposeScope())
        using (no_grad())
            foreach (var (_, tensor) in model.state_dict())
            {
                var bytes = Host(tensor).bytes.ToArray();
                world.Broadcast(bytes, 0);
                if (!IsRoot) SetBytes(tensor, bytes);
            }
        if (step > 0)
        {
            var state = Array.Empty<byte>();
            if (IsRoot)
            {
                using var buffer = new MemoryStream();
                using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(writer);
                state = buffer.ToArray();
            }
            var length = BitConverter.GetBytes(state.LongLength);
            world.Broadcast(length, 0);
            if (!IsRoot) state = new byte[BitConverter.ToInt64(length)];
            world.Broadcast(state, 0);
            if (!IsRoot)
            {
                using var reader = new BinaryReader(new MemoryStream(state));
                optimizer.load_state_dict(reader);
            }
        }
        if (!IsRoot) torch.random.manual_seed(Trainer.Mix(Trainer.Mix(seed, Rank), step)).Dispose();
    }

    /// <summary>
    /// Sums the gradients of <paramref name="parameters"/>, this rank's (share-weighted) <paramref name="loss"/> and
    /// its wish to <paramref name="stop"/> over every rank; the parameters' gradients become the sums. Returns the
    /// global batch's loss and whether any rank asked to stop.
    /// </summary>
    public (float Loss, bool Stop) AllReduce(IReadOnlyList<Tensor> parameters, float loss, bool stop)
    {
        long total = 0;
        foreach (var p in parameters) total += p.numel();
        var values = new float[checked(total + 2)];
        long at = 0;
        foreach (var p in parameters)
        {
            var span = values.AsSpan((int)at, (int)p.numel());
            if (p.grad is { } grad) Floats(grad, span, read: true);
            at += span.Length;
        }
        values[^2] = loss;
        values[^1] = stop ? 1 : 0;
        world.AllReduceSum(values);
        at = 0;
        foreach (var p in parameters)
        {
            var span = values.AsSpan((int)at, (int)p.numel());
            at += span.Length;
            if (p.grad is { } grad) Floats(grad, span, read: false);
            else throw new InvalidOperationException($"a parameter [{string.Join(", ", p.shape)}] has no gradient; every rank must back a loss through every parameter");
        }
        return (values[^2], values[^1] > 0);
    }

    static void Floats(Tensor tensor, Span<float> values, bool read)
    {
        if (tensor.dtype != ScalarType.Float32) throw new InvalidOperationException($"gradients are summed as float32, not {tensor.dtype}");
        if (read) MemoryMarshal.Cast<byte, float>(Host(tensor).bytes).CopyTo(values);
        else SetBytes(tensor, MemoryMarshal.AsBytes(values));
    }

    // The caller's dispose scope owns the copies; a CPU contiguous tensor is its own host copy.
    static Tensor Host(Tensor tensor) => tensor.device_type == DeviceType.CPU && tensor.is_contiguous() ? tensor : tensor.cpu().contiguous();

    static void SetBytes(Tensor tensor, Span<byte> bytes)
    {
        var host = Host(tensor);
        host.bytes = bytes;
        if (!ReferenceEquals(host, tensor)) tensor.copy_(host);
    }
}
