using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LabelSphere.Data;

namespace LabelSphere.Training;

/// <summary>How feature vectors are scaled before the network sees them.</summary>
public enum FeatureScaling
{
    /// <summary>The values as read (NaN, ARFF's missing value, becomes 0).</summary>
    None,
    /// <summary>Each row divided by its L2 norm.</summary>
    L2,
    /// <summary>
    /// TF-IDF: (1 + ln tf) · idf for every non-zero value tf, idf = ln((1 + n) / (1 + df)) + 1 from the training
    /// rows (n rows, df of them holding the feature), then each row divided by its L2 norm. For binary bag-of-words
    /// data (bibtex, delicious) tf is 1 and this weights rare words up. The default: it trains the MLP best.
    /// </summary>
    TfIdf,
}

/// <summary>
/// The fitted scaling of feature rows: the idf weights learnt on the training rows, kept with the model so that
/// prediction scales new rows the same way.
/// </summary>
public sealed class FeatureTransform
{
    readonly float[]? idf;

    FeatureTransform(FeatureScaling scaling, int columns, float[]? idf, string? namesHash)
    {
        Scaling = scaling;
        Columns = columns;
        this.idf = idf;
        NamesHash = namesHash;
    }

    /// <summary>The scaling.</summary>
    public FeatureScaling Scaling { get; }

    /// <summary>Width of the vectors it produces: the number of features the model was trained on.</summary>
    public int Columns { get; }

    /// <summary>[Columns] idf weights, or empty when the scaling has none.</summary>
    public ReadOnlySpan<float> Idf => idf;

    /// <summary>
    /// <see cref="HashNames"/> of the training features' names, or null when the data has none (Extreme text without a _features.txt)
    /// or the model was saved before names were recorded.
    /// </summary>
    public string? NamesHash { get; }

    /// <summary>A hash of feature names in column order (SHA-256 of the UTF-8 names, one a line; 16 hex digits), or null for none.</summary>
    public static string? HashNames(IReadOnlyList<string>? names)
    {
        if (names is null) return null;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in names)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData("\n"u8);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary>
    /// Throws unless <paramref name="features"/> (from <paramref name="where"/>) has exactly the features this
    /// transform was fitted on: the same count and, when both sides have names, the same names in the same order.
    /// Fewer features would shift nothing but mean something else; the feature space must be the model's.
    /// </summary>
    public void CheckFeatures(FeatureMatrix features, string where)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Columns != Columns)
            throw new ArgumentException($"{where}: has {features.Columns:N0} features; the model was trained on {Columns:N0} (the feature space must be the model's)");
        if (NamesHash is not null && features.Names is not null && HashNames(features.Names) != NamesHash)
            throw new ArgumentException($"{where}: its {features.Columns:N0} feature names are not those the model was trained on, in order (the feature space must be the model's)");
    }
    /// <summary>Learns the scaling from <paramref name="rows"/> of <paramref name="features"/> (all rows when null).</summary>
    public static FeatureTransform Fit(FeatureMatrix features, FeatureScaling scaling, int[]? rows = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        int columns = features.Columns;
        switch (scaling)
        {
            case FeatureScaling.None:
            case FeatureScaling.L2:
                return new FeatureTransform(scaling, columns, null, HashNames(features.Names));
            case FeatureScaling.TfIdf:
                var df = new long[columns];
                int n = rows?.Length ?? features.Rows;
                var indices = features.Indices;
                var values = features.Values;
                var offsets = features.Offsets;
                for (int i = 0; i < n; i++)
                {
                    int r = rows is null ? i : rows[i];
                    for (long k = offsets[r]; k < offsets[r + 1]; k++)
                        if (values[(int)k] != 0 && !float.IsNaN(values[(int)k])) df[indices[(int)k]]++;
                }
                var weights = new float[columns];
                for (int c = 0; c < columns; c++) weights[c] = (float)(Math.Log((1.0 + n) / (1.0 + df[c])) + 1);
                return new FeatureTransform(scaling, columns, weights, HashNames(features.Names));
            default:
                throw new ArgumentOutOfRangeException(nameof(scaling), scaling, "unknown feature scaling");
        }
    }

    /// <summary>A transform from saved parts (<see cref="ModelFolder"/>); <paramref name="namesHash"/> as <see cref="NamesHash"/>.</summary>
    public static FeatureTransform FromParts(FeatureScaling scaling, int columns, float[]? idf, string? namesHash = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        bool needsIdf = scaling == FeatureScaling.TfIdf;
        if (needsIdf != (idf is not null)) throw new ArgumentException($"{scaling} scaling {(needsIdf ? "needs" : "takes no")} idf weights");
        if (idf is not null && idf.Length != columns) throw new ArgumentException($"{idf.Length} idf weights for {columns} features");
        return new FeatureTransform(scaling, columns, idf, namesHash);
    }

    /// <summary>Writes row <paramref name="row"/> of <paramref name="features"/>, scaled, into <paramref name="destination"/> ([Columns]).</summary>
    public void Apply(FeatureMatrix features, int row, Span<float> destination)
    {
        destination.Clear();
        var offsets = features.Offsets;
        var indices = features.Indices;
        var values = features.Values;
        double squares = 0;
        for (long k = offsets[row]; k < offsets[row + 1]; k++)
        {
            int c = indices[(int)k];
            if (c >= Columns) continue;
            float v = values[(int)k];
            if (float.IsNaN(v)) continue;
            v = Scaling switch
            {
                FeatureScaling.None or FeatureScaling.L2 => v,
                FeatureScaling.TfIdf => (v > 0 ? 1 + MathF.Log(v) : v) * idf![c],
                _ => throw new InvalidOperationException("unknown feature scaling"),
            };
            destination[c] = v;
            squares += (double)v * v;
        }
        if (Scaling is FeatureScaling.L2 or FeatureScaling.TfIdf && squares > 0)
        {
            float inverse = (float)(1 / Math.Sqrt(squares));
            for (long k = offsets[row]; k < offsets[row + 1]; k++)
            {
                int c = indices[(int)k];
                if (c < Columns) destination[c] *= inverse;
            }
        }
    }
}

/// <summary>
/// Feature vectors and their label sets as network input: rows stay sparse (CSR) and are densified and scaled one
/// batch at a time, so a sparse data set is never dense in memory as a whole.
/// </summary>
public sealed class FeatureSource : IInstanceSource
{
    readonly FeatureMatrix features;
    readonly int[] rows;

    /// <summary>
    /// A source over <paramref name="rows"/> of <paramref name="features"/> (all rows when null), whose label sets
    /// <paramref name="labels"/> (one row per feature row) refer to <paramref name="vocabulary"/>.
    /// </summary>
    public FeatureSource(FeatureMatrix features, LabelMatrix labels, LabelVocabulary vocabulary, FeatureTransform transform, int[]? rows = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(transform);
        if (labels.Rows != features.Rows) throw new ArgumentException($"{labels.Rows} label rows for {features.Rows} feature rows");
        if (labels.Columns > vocabulary.Count) throw new ArgumentException($"label matrix has {labels.Columns} columns, the vocabulary {vocabulary.Count} labels");
        transform.CheckFeatures(features, "the data");
        this.features = features;
        this.rows = rows ?? Enumerable.Range(0, features.Rows).ToArray();
        foreach (var r in this.rows)
            if ((uint)r >= (uint)features.Rows) throw new ArgumentOutOfRangeException(nameof(rows), r, $"row must be below {features.Rows}");
        Labels = (rows is null ? labels : labels.SelectRows(this.rows)).WithColumns(vocabulary.Count);
        Vocabulary = vocabulary;
        Transform = transform;
    }

    /// <summary>The scaling applied to every row.</summary>
    public FeatureTransform Transform { get; }

    /// <inheritdoc />
    public int Count => rows.Length;

    /// <inheritdoc />
    public LabelVocabulary Vocabulary { get; }

    /// <inheritdoc />
    public LabelMatrix Labels { get; }

    /// <inheritdoc />
    public long[] InputShape => [Transform.Columns];

    /// <inheritdoc />
    public IEnumerable<InstanceBatch> Batches(int[] order, int batchSize, bool augment, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        int width = Transform.Columns;
        for (int start = 0; start < order.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(batchSize, order.Length - start);
            var inputs = new float[(long)count * width];
            var indices = new int[count];
            for (int i = 0; i < count; i++)
            {
                int instance = order[start + i];
                if ((uint)instance >= (uint)rows.Length) throw new ArgumentOutOfRangeException(nameof(order), instance, $"instance must be below {rows.Length}");
                indices[i] = instance;
                Transform.Apply(features, rows[instance], inputs.AsSpan(i * width, width));
            }
            yield return new InstanceBatch(inputs, [count, width], indices);
        }
    }

    /// <summary>Adds the rows this source takes and the whole sparse matrix they come from (ids and values) to <paramref name="hash"/>.</summary>
    public void AppendInputs(IncrementalHash hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        Span<int> sizes = [features.Columns, Transform.Columns, (int)Transform.Scaling, rows.Length];
        hash.AppendData(MemoryMarshal.AsBytes(sizes));
        hash.AppendData(MemoryMarshal.AsBytes(rows.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(features.Offsets));
        hash.AppendData(MemoryMarshal.AsBytes(features.Indices));
        hash.AppendData(MemoryMarshal.AsBytes(features.Values));
    }
}

/// <summary>JSON settings shared by the training files (manifests, checkpoints, the log).</summary>
internal static class TrainingJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // Enum values as the command line writes them (tf-idf, self-information); files written in camel case before (tfIdf) still read.
        Converters = { new IO.KebabEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static readonly JsonSerializerOptions Line = new(Options) { WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
}
