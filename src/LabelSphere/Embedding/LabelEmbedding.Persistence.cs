using System.Text.Json;
using System.Text.Json.Serialization;
using LabelSphere.Data;
using LabelSphere.IO;

namespace LabelSphere.Embedding;

/// <summary>A saved embedding folder that cannot be loaded: what is wrong and in which file.</summary>
public sealed class EmbeddingFormatException(string message) : Exception(message);

public sealed partial class LabelEmbedding
{
    /// <summary>The format version written by this build; loading accepts exactly this version.</summary>
    internal const int FormatVersion = 1;

    const string ManifestFile = "manifest.json";
    const string VectorsFile = "embedding.npy";
    const string EigenvaluesFile = "eigenvalues.npy";
    const string CountsFile = "label_counts.npy";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // Enum values as the command line writes them (tf-idf, self-information); files written in camel case before (tfIdf) still read.
        Converters = { new IO.KebabEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    sealed record Manifest(
        string Format, int FormatVersion, int Labels, int Dimension, long Instances, long EmptyInstances,
        string Solver, EmbeddingOptions Options, PmiMarginals Marginals, SpectrumReport Spectrum,
        string[] LabelNames, bool[] ZeroShot);

    /// <summary>
    /// What <see cref="Save(string, OutputOptions?)"/> writes, recognised by its manifest: the arrays, the manifest and
    /// <c>spectrum.png</c>, the figure a front end may add (<c>labelsphere embed</c> does).
    /// </summary>
    internal static readonly OutputKind FolderKind = new("an embedding", OutputKind.ManifestFormat("labelsphere.embedding"),
        [ManifestFile, VectorsFile, EigenvaluesFile, CountsFile, "spectrum.png"]);

    /// <summary>
    /// Saves to a folder: manifest.json (format version, labels, options, spectrum) and embedding.npy
    /// (float32 [labels, k]), eigenvalues.npy (float64 [k]), label_counts.npy (int64 [labels]), which numpy.load
    /// reads. The folder appears complete or not at all; an existing folder is replaced only under
    /// <paramref name="options"/>' overwrite, and only when it is an embedding (<see cref="OutputFolder"/>).
    /// </summary>
    public void Save(string folder, OutputOptions? options = null)
    {
        using var output = OutputFolder.Open(folder, FolderKind, options);
        Save(output);
    }

    /// <summary>
    /// Saves to <paramref name="output"/>, opened by the caller (<see cref="OutputFolder.Open"/> with
    /// <see cref="FolderKind"/>); <paramref name="addFiles"/> may add files to the temporary folder before it is
    /// moved into place (their names must be ones <see cref="FolderKind"/> allows).
    /// </summary>
    internal void Save(OutputFolder output, Action<string>? addFiles = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var manifest = new Manifest("labelsphere.embedding", FormatVersion, LabelCount, Dimension, Instances, EmptyInstances,
            JsonNamingPolicy.KebabCaseLower.ConvertName(Solver.ToString()), Options, Marginals, Spectrum, [.. Vocabulary.Names], zeroShot);
        output.Write(temp =>
        {
            Npy.Write<float>(Path.Combine(temp, VectorsFile), vectors, LabelCount, Dimension);
            Npy.Write<double>(Path.Combine(temp, EigenvaluesFile), eigenvalues, Dimension);
            Npy.Write<long>(Path.Combine(temp, CountsFile), labelCounts, LabelCount);
            addFiles?.Invoke(temp);
            File.WriteAllBytes(Path.Combine(temp, ManifestFile), JsonSerializer.SerializeToUtf8Bytes(manifest, Json));
        });
    }

    /// <summary>Loads a folder written by <see cref="Save(string, OutputOptions?)"/>, checking every shape and value it depends on.</summary>
    public static LabelEmbedding Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new EmbeddingFormatException(File.Exists(folder) ? $"{folder}: is a file, not an embedding folder" : $"{folder}: no such embedding folder");
        var manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath)) throw new EmbeddingFormatException($"{folder}: no {ManifestFile}, so it is not a LabelSphere embedding folder");
        Manifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllBytes(manifestPath), Json)
                ?? throw new EmbeddingFormatException($"{manifestPath}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new EmbeddingFormatException(JsonFileError.Describe(manifestPath, e));
        }
        if (manifest.Format != "labelsphere.embedding") throw new EmbeddingFormatException($"{manifestPath}: field format: '{manifest.Format}' is not a LabelSphere embedding");
        if (manifest.FormatVersion != FormatVersion)
            throw new EmbeddingFormatException($"{manifestPath}: field formatVersion: version {manifest.FormatVersion} is not supported (this build reads version {FormatVersion})");
        int n = manifest.Labels, k = manifest.Dimension;
        if (manifest.LabelNames is null || manifest.LabelNames.Length != n) throw new EmbeddingFormatException($"{manifestPath}: field labelNames: {manifest.LabelNames?.Length ?? 0} names for {n} labels");
        if (manifest.ZeroShot is null || manifest.ZeroShot.Length != n) throw new EmbeddingFormatException($"{manifestPath}: field zeroShot: {manifest.ZeroShot?.Length ?? 0} flags for {n} labels");
        if (manifest.Options is null || manifest.Marginals is null || manifest.Spectrum is null) throw new EmbeddingFormatException($"{manifestPath}: options, marginals or spectrum missing");
        // "exact" since the manifests took the command line's casing, "Exact" before: either reads.
        if (!Enum.TryParse<EigenSolver>(manifest.Solver.Replace("-", ""), ignoreCase: true, out var solver) || !Enum.IsDefined(solver)) throw new EmbeddingFormatException($"{manifestPath}: field solver: unknown solver '{manifest.Solver}'");

        var vectors = ReadArray<float>(folder, VectorsFile, [n, k]);
        var eigenvalues = ReadArray<double>(folder, EigenvaluesFile, [k]);
        var counts = ReadArray<long>(folder, CountsFile, [n]);
        foreach (var v in vectors) if (!float.IsFinite(v)) throw new EmbeddingFormatException($"{Path.Combine(folder, VectorsFile)}: holds a value that is not finite");
        foreach (var c in counts) if (c < 0) throw new EmbeddingFormatException($"{Path.Combine(folder, CountsFile)}: holds a negative count");
        for (int c = 1; c < k; c++)
            if (eigenvalues[c] > eigenvalues[c - 1]) throw new EmbeddingFormatException($"{Path.Combine(folder, EigenvaluesFile)}: eigenvalues are not in descending order at {c}");
        LabelVocabulary vocabulary;
        try
        {
            vocabulary = new LabelVocabulary(manifest.LabelNames);
        }
        catch (ArgumentException e)
        {
            throw new EmbeddingFormatException($"{manifestPath}: field labelNames: {e.Message}");
        }
        try
        {
            manifest.Options.Validate(n);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new EmbeddingFormatException($"{manifestPath}: field options: {e.Message}");
        }
        return new LabelEmbedding(vocabulary, counts, manifest.ZeroShot, manifest.Instances, manifest.EmptyInstances,
            vectors, eigenvalues, manifest.Options, manifest.Marginals, manifest.Spectrum, solver);
    }

    static T[] ReadArray<T>(string folder, string file, long[] shape) where T : unmanaged
    {
        var path = Path.Combine(folder, file);
        if (!File.Exists(path)) throw new EmbeddingFormatException($"{path}: missing");
        try
        {
            var (data, actual) = Npy.Read<T>(path);
            if (!actual.SequenceEqual(shape))
                throw new EmbeddingFormatException($"{path}: shape ({string.Join(", ", actual)}) does not match the manifest's ({string.Join(", ", shape)})");
            return data;
        }
        catch (InvalidDataException e)
        {
            throw new EmbeddingFormatException(e.Message);
        }
    }
}
