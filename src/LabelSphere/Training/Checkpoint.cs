using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using LabelSphere.Embedding;
using LabelSphere.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>
/// Where a run stood when it was saved: the step, what it had measured so far, and the options and data it must
/// resume with. The weights, optimizer state and torch's random state are files beside it.
/// </summary>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="Options">The run's <see cref="TrainingOptions.TrainingKey"/>.</param>
/// <param name="Data">Fingerprint of the training instances (count, input shape, label sets).</param>
/// <param name="TrainingSeconds">Seconds spent in training steps so far.</param>
/// <param name="Examples">Instances fed through training steps so far.</param>
/// <param name="WindowLoss">Sum of the losses since the last log line.</param>
/// <param name="WindowSteps">Steps since the last log line.</param>
/// <param name="Validation">The last validation measurement, if any.</param>
internal sealed record CheckpointState(int Step, JsonElement Options, string Data, double TrainingSeconds, long Examples,
                                     double WindowLoss, int WindowSteps, ValidationMetrics? Validation);

/// <summary>
/// Saves and restores a run: <c>manifest.json</c> (a <see cref="CheckpointState"/>), <c>weights/*.npy</c>,
/// <c>optimizer.bin</c> (TorchSharp's optimizer state format) and <c>rng_state.bin</c> (torch's CPU generator).
/// The folder is written beside its target and renamed into place, so a kill leaves the previous checkpoint whole.
/// </summary>
internal static class Checkpoint
{
    /// <summary>The format version written by this build.</summary>
    public const int FormatVersion = 1;

    const string Format = "labelsphere.checkpoint";
    const string ManifestFile = "manifest.json";
    const string WeightsFolder = "weights";
    const string OptimizerFile = "optimizer.bin";
    const string RandomFile = "rng_state.bin";

    sealed record Manifest(string Format, int FormatVersion, CheckpointState State);

    /// <summary>Whether <paramref name="folder"/> holds a checkpoint.</summary>
    public static bool Exists(string folder) => File.Exists(Path.Combine(folder, ManifestFile));

    /// <summary>Writes a checkpoint of <paramref name="model"/> and <paramref name="optimizer"/> at <paramref name="state"/>.</summary>
    public static void Save(string folder, CheckpointState state, LabelModel model, OptimizerHelper optimizer)
    {
        AtomicFolder.Write(folder, temp =>
        {
            ModuleState.Save(model, Path.Combine(temp, WeightsFolder));
            optimizer.save_state_dict(Path.Combine(temp, OptimizerFile));
            using (var random = torch.random.get_rng_state())
                File.WriteAllBytes(Path.Combine(temp, RandomFile), random.bytes.ToArray());
            File.WriteAllBytes(Path.Combine(temp, ManifestFile),
                JsonSerializer.SerializeToUtf8Bytes(new Manifest(Format, FormatVersion, state), TrainingJson.Options));
        });
    }

    /// <summary>
    /// Restores <paramref name="model"/>, <paramref name="optimizer"/> and torch's random state from
    /// <paramref name="folder"/>; refuses a checkpoint made with other options or on other data.
    /// </summary>
    public static CheckpointState Load(string folder, LabelModel model, OptimizerHelper optimizer, JsonElement options, string data)
    {
        var manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath)) throw new FileNotFoundException($"{folder}: no checkpoint ({ManifestFile} missing)", manifestPath);
        Manifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllBytes(manifestPath), TrainingJson.Options)
                ?? throw new InvalidDataException($"{manifestPath}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(JsonFileError.Describe(manifestPath, e));
        }
        if (manifest.Format != Format) throw new InvalidDataException($"{manifestPath}: field format: '{manifest.Format}' is not a LabelSphere checkpoint");
        if (manifest.FormatVersion != FormatVersion)
            throw new InvalidDataException($"{manifestPath}: field formatVersion: version {manifest.FormatVersion} is not supported (this build reads version {FormatVersion})");
        var state = manifest.State;
        var differences = TrainingOptions.Differences(state.Options, options);
        if (differences.Count > 0)
            throw new ArgumentException($"the checkpoint in {folder} was made with other options; resume with the same ones ({string.Join("; ", differences)})");
        if (state.Data != data)
            throw new ArgumentException($"the checkpoint in {folder} was made on other training data or with another embedding; resume with the same ones ({string.Join("; ", FingerprintDifferences(state.Data, data))})");

        ModuleState.Load(model, Path.Combine(folder, WeightsFolder));
        optimizer.load_state_dict(Path.Combine(folder, OptimizerFile));
        var bytes = File.ReadAllBytes(Path.Combine(folder, RandomFile));
        using (var random = torch.tensor(bytes, dtype: ScalarType.Byte))
            torch.random.set_rng_state(random);
        return state;
    }

    /// <summary>
    /// A fingerprint of what a run learns from: the count and input shape of <paramref name="source"/>'s instances, a
    /// hash of their label sets and vocabulary, a hash of their inputs (<see cref="IInstanceSource.AppendInputs"/>),
    /// and a hash of <paramref name="embedding"/>'s labels and vectors (the cosine head's targets), as comma-separated
    /// parts that <see cref="FingerprintDifferences"/> compares.
    /// </summary>
    public static string Fingerprint(IInstanceSource source, LabelEmbedding? embedding = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // A pack's label sets carry the hash of their files, which stands for reading every row again.
        if (source.Labels.ContentHash is { } recorded) hash.AppendData(System.Text.Encoding.UTF8.GetBytes(recorded));
        else
        {
            hash.AppendData(MemoryMarshal.AsBytes(source.Labels.Offsets));
            hash.AppendData(MemoryMarshal.AsBytes(source.Labels.Indices));
        }
        AppendNames(hash, source.Vocabulary);
        var labels = Digest(hash);
        source.AppendInputs(hash);
        var inputs = Digest(hash);
        var fingerprint = $"{source.Count} instances, input [{string.Join(" ", source.InputShape)}], labels {labels}, inputs {inputs}";
        if (embedding is null) return fingerprint;
        AppendNames(hash, embedding.Vocabulary);
        hash.AppendData(MemoryMarshal.AsBytes(embedding.Vectors));
        return $"{fingerprint}, embedding {Digest(hash)}";
    }

    /// <summary>The parts of two fingerprints that differ, as "part then, part now", for an error message.</summary>
    public static IReadOnlyList<string> FingerprintDifferences(string then, string now)
    {
        var a = then.Split(", ");
        var b = now.Split(", ");
        var result = new List<string>();
        for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var x = i < a.Length ? a[i] : "(absent)";
            var y = i < b.Length ? b[i] : "(absent)";
            if (x != y) result.Add($"{x} then, {y} now");
        }
        return result;
    }

    static void AppendNames(IncrementalHash hash, Data.LabelVocabulary vocabulary)
    {
        foreach (var name in vocabulary.Names)
        {
            hash.AppendData(MemoryMarshal.AsBytes(name.AsSpan()));
            hash.AppendData("\n"u8);
        }
    }

    static string Digest(IncrementalHash hash) => Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
}
