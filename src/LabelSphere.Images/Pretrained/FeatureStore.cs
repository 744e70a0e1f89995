using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace LabelSphere.Training.Images;

/// <summary>What one <see cref="FeatureStore.Extract"/> did: images whose features were read back, and images run through the network.</summary>
/// <param name="Images">Images asked for.</param>
/// <param name="Cached">Images whose features were read from the store.</param>
/// <param name="Extracted">Images run through the network (and stored).</param>
public sealed record FeatureStoreReport(int Images, int Cached, int Extracted)
{
    /// <summary>Why the network ran on the CPU although CUDA was asked for (<see cref="ImageFeaturizer.DeviceFallback"/>); null otherwise.</summary>
    public string? DeviceFallback { get; init; }
}

/// <summary>
/// Features of images stored once on disk, so that every later run over the same images reads them instead of running
/// the network: one file per image under a folder for the featurizer's <see cref="ImageFeaturizer.Key"/> (network,
/// input size, preprocessing version, background), named by the SHA-256 of the image file's bytes. A changed image
/// has another hash and is extracted again; a renamed or copied one is found. Each image is stored as soon as it is
/// extracted, to a temporary name renamed into place, so concurrent runs share the store and a stopped run keeps what
/// it did without ever leaving a half-written entry.
/// </summary>
public sealed class FeatureStore
{
    /// <summary>The store's default folder: <see cref="PretrainedNetworks.DefaultFeatureStore"/>.</summary>
    public static string DefaultFolder => PretrainedNetworks.DefaultFeatureStore;

    /// <summary>A store in <paramref name="folder"/> (made when first written to).</summary>
    public FeatureStore(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Folder = Path.GetFullPath(folder);
    }

    /// <summary>The store's folder.</summary>
    public string Folder { get; }

    /// <summary>The folder that holds the features <paramref name="featurizer"/> makes: a hash of its key, the key written beside them.</summary>
    public string KeyFolder(ImageFeaturizer featurizer)
    {
        ArgumentNullException.ThrowIfNull(featurizer);
        return Path.Combine(Folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(featurizer.Key)))[..16]);
    }

    /// <summary>
    /// The features of the image files <paramref name="paths"/> (as <see cref="ImageFeaturizer.Extract"/>), reading
    /// those the store holds and running <paramref name="featurizer"/> on the others, whose features are then stored.
    /// </summary>
    /// <param name="progress">Receives the number of images done so far, those read from the store first.</param>
    public (ExtractedFeatures Features, FeatureStoreReport Report) Extract(ImageFeaturizer featurizer, IReadOnlyList<string> paths, bool skipInvalid = false,
                                                                          IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(featurizer);
        ArgumentNullException.ThrowIfNull(paths);
        int width = featurizer.FeatureSize;
        var folder = KeyFolder(featurizer);
        var features = new float[(long)paths.Count * width];
        var errors = new string?[paths.Count];
        var hashes = new string?[paths.Count];
        var found = new bool[paths.Count];
        Parallel.For(0, paths.Count, new ParallelOptions { MaxDegreeOfParallelism = featurizer.Threads, CancellationToken = cancellationToken }, i =>
        {
            // A file that cannot be read is left to the featurizer, which names it in its error.
            try
            {
                using var stream = File.OpenRead(paths[i]);
                hashes[i] = Convert.ToHexStringLower(SHA256.HashData(stream));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }
            found[i] = TryRead(Path.Combine(folder, hashes[i] + ".f32"), features.AsSpan((int)((long)i * width), width));
        });
        int cached = found.Count(f => f);
        progress?.Report(cached);

        var missing = new List<int>(paths.Count - cached);
        for (int i = 0; i < paths.Count; i++) if (!found[i]) missing.Add(i);
        if (missing.Count > 0)
        {
            Directory.CreateDirectory(folder);
            WriteKey(folder, featurizer.Key);
            // Each image is stored as soon as it is extracted, so a run stopped halfway keeps what it did.
            var extracted = featurizer.Extract([.. missing.Select(i => paths[i])], skipInvalid,
                progress is null ? null : new SynchronousProgress<int>(n => progress.Report(cached + n)), cancellationToken,
                (m, row) => { if (hashes[missing[m]] is { } hash) Write(Path.Combine(folder, hash + ".f32"), row); });
            for (int m = 0; m < missing.Count; m++)
            {
                int i = missing[m];
                errors[i] = extracted.Errors[m];
                extracted.Features.AsSpan((int)((long)m * width), width).CopyTo(features.AsSpan((int)((long)i * width), width));
            }
        }
        return (new ExtractedFeatures(features, errors), new FeatureStoreReport(paths.Count, cached, missing.Count) { DeviceFallback = featurizer.DeviceFallback });
    }

    /// <summary>Reads a stored row; false when there is none or it is not exactly one row of float32 values.</summary>
    static bool TryRead(string path, Span<float> row)
    {
        try
        {
            using var file = File.OpenHandle(path);
            if (RandomAccess.GetLength(file) != row.Length * sizeof(float)) return false;
            return RandomAccess.Read(file, MemoryMarshal.AsBytes(row), 0) == row.Length * sizeof(float);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    static void Write(string path, ReadOnlySpan<float> row)
    {
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, MemoryMarshal.AsBytes(row).ToArray());
        File.Move(temporary, path, overwrite: true);
    }

    static void WriteKey(string folder, string key)
    {
        var path = Path.Combine(folder, "key.txt");
        if (File.Exists(path)) return;
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, key + "\n");
        File.Move(temporary, path, overwrite: true);
    }
}
