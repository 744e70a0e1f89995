using LabelSphere.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>
/// A module's state dictionary (parameters and buffers) as one .npy file per entry, named after the entry
/// (<c>backbone.layers.linear0.weight.npy</c>), so that numpy reads the weights directly.
/// </summary>
internal static class ModuleState
{
    /// <summary>Writes every state entry of <paramref name="module"/> into <paramref name="folder"/> (created), except <paramref name="omit"/>.</summary>
    /// <param name="omit">Entries rebuilt from elsewhere when the module is made (<see cref="EmbeddingBuffers"/>).</param>
    public static void Save(nn.Module module, string folder, IReadOnlySet<string>? omit = null)
    {
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        foreach (var (name, value) in module.state_dict())
        {
            if (omit?.Contains(name) == true) continue;
            var path = Path.Combine(folder, name + ".npy");
            var cpu = value.detach().cpu().contiguous();
            switch (cpu.dtype)
            {
                case ScalarType.Float32:
                    Npy.Write<float>(path, cpu.data<float>().ToArray(), cpu.shape);
                    break;
                case ScalarType.Int64:
                    Npy.Write<long>(path, cpu.data<long>().ToArray(), cpu.shape);
                    break;
                default:
                    throw new NotSupportedException($"state entry {name} has type {cpu.dtype}; only float32 and int64 are saved");
            }
        }
    }

    /// <summary>
    /// Copies the arrays in <paramref name="folder"/> into <paramref name="module"/>'s state entries, checking
    /// that every entry has its file, of its shape, and that float values are finite (a NaN weight makes every score NaN).
    /// </summary>
    /// <param name="optional">Entries the module already holds from elsewhere; read only when their file is there (older folders).</param>
    public static void Load(nn.Module module, string folder, IReadOnlySet<string>? optional = null)
    {
        using var scope = NewDisposeScope();
        using var guard = no_grad();
        foreach (var (name, value) in module.state_dict())
        {
            var path = Path.Combine(folder, name + ".npy");
            if (optional?.Contains(name) == true && !File.Exists(path)) continue;
            if (!File.Exists(path)) throw new InvalidDataException($"{path}: missing (the model expects its {name})");
            Tensor source;
            long[] shape;
            switch (value.dtype)
            {
                case ScalarType.Float32:
                    var (floats, fShape) = Npy.Read<float>(path);
                    CheckFinite(floats, path);
                    (source, shape) = (tensor(floats, fShape), fShape);
                    break;
                case ScalarType.Int64:
                    var (longs, lShape) = Npy.Read<long>(path);
                    (source, shape) = (tensor(longs, lShape), lShape);
                    break;
                default:
                    throw new NotSupportedException($"state entry {name} has type {value.dtype}; only float32 and int64 are loaded");
            }
            if (!shape.SequenceEqual(value.shape))
                throw new InvalidDataException($"{path}: shape ({string.Join(", ", shape)}) does not match the model's ({string.Join(", ", value.shape)})");
            value.copy_(source);
        }
    }

    /// <summary>
    /// The buffers of <paramref name="module"/> that hold rows of the label embedding (the embedding heads' E): a
    /// model folder keeps the embedding itself, and the head takes them from it when it is made.
    /// </summary>
    public static IReadOnlySet<string> EmbeddingBuffers(nn.Module module)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in module.named_buffers())
            if (name == "head.labelVectors" || name.EndsWith(".head.labelVectors", StringComparison.Ordinal)) names.Add(name);
        return names;
    }

    /// <summary>
    /// A copy of a module's state entries in memory, taken and restored without touching files: how a run without an
    /// output folder keeps its best weights.
    /// </summary>
    public sealed class Copy : IDisposable
    {
        readonly Dictionary<string, Tensor> entries = [];

        /// <summary>Whether a copy has been taken.</summary>
        public bool Taken => entries.Count > 0;

        /// <summary>Replaces the copy with <paramref name="module"/>'s current state.</summary>
        public void Take(nn.Module module)
        {
            Dispose();
            using var guard = no_grad();
            foreach (var (name, value) in module.state_dict())
                entries[name] = value.detach().clone().DetachFromDisposeScope();
        }

        /// <summary>Copies the saved state back into <paramref name="module"/>, which must be the module it was taken from.</summary>
        public void Restore(nn.Module module)
        {
            using var guard = no_grad();
            foreach (var (name, value) in module.state_dict()) value.copy_(entries[name]);
        }

        /// <summary>Frees the copied tensors.</summary>
        public void Dispose()
        {
            foreach (var tensor in entries.Values) tensor.Dispose();
            entries.Clear();
        }
    }

    /// <summary>Throws an <see cref="InvalidDataException"/> naming <paramref name="path"/> when a value is NaN or infinite.</summary>
    public static void CheckFinite(ReadOnlySpan<float> values, string path)
    {
        long bad = 0, first = -1;
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsFinite(values[i])) continue;
            if (bad++ == 0) first = i;
        }
        if (bad > 0)
            throw new InvalidDataException($"{path}: {bad:N0} of its {values.Length:N0} values are not finite (NaN or infinity; the first at flat index {first}); the file is corrupt or training diverged");
    }
}
