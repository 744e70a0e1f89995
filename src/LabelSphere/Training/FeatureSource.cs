using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LabelSphere.Data;
using LabelSphere.Text;

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
/// prediction scales new rows the same way. For a model trained on text it starts with the fitted
/// <see cref="TextVectorizer"/> that turns text into the term counts it scales, so that the model takes raw text.
/// </summary>
public sealed class FeatureTransform
{
    readonly float[]? idf;

    FeatureTransform(FeatureScaling scaling, int columns, float[]? idf, string? namesHash, TextVectorizer? text = null)
    {
        Scaling = scaling;
        Columns = columns;
        this.idf = idf;
        NamesHash = namesHash;
        Text = text;
    }

    /// <summary>The vectoriser that turns the model's text input into term counts, or null when its input is feature vectors.</summary>
    internal TextVectorizer? Text { get; }

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
    internal static string? HashNames(IReadOnlyList<string>? names)
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
    internal void CheckFeatures(FeatureMatrix features, string where)
    {
        ArgumentNullException.ThrowIfNull(features);
        // A LIBSVM file declares no count: its largest index only says how wide the feature space is at least.
        if (features.ColumnsInferred && features.Columns > Columns)
            throw new ArgumentException($"{where}: uses feature {features.Columns:N0}; the model was trained on {Columns:N0} features (the feature space must be the model's)");
        if (features.ColumnsInferred) return;
        CheckColumns(features.Columns, HashNames(features.Names), where);
    }

    /// <summary>
    /// Throws unless <paramref name="columns"/> features named as <paramref name="namesHash"/> says (<see cref="HashNames"/>,
    /// null when unnamed), from <paramref name="where"/>, are the features this transform was fitted on.
    /// </summary>
    internal void CheckColumns(int columns, string? namesHash, string where)
    {
        if (columns != Columns)
            throw new ArgumentException($"{where}: has {columns:N0} features; the model was trained on {Columns:N0} (the feature space must be the model's)");
        if (NamesHash is not null && namesHash is not null && namesHash != NamesHash)
            throw new ArgumentException($"{where}: its {columns:N0} feature names are not those the model was trained on, in order (the feature space must be the model's)");
    }
    /// <summary>
    /// Learns the transform from <paramref name="rows"/> of <paramref name="data"/> (all rows when null): for text data
    /// the vectoriser <paramref name="text"/> describes, then the scaling of its term counts; for feature data the
    /// scaling alone. Returns it with the feature rows of all of <paramref name="data"/> it applies to.
    /// </summary>
    internal static (FeatureTransform Transform, FeatureMatrix Features) Fit(AnnotationSet data, FeatureScaling scaling, int[]? rows = null,
                                                                           TextFeatureOptions? text = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Texts is { } texts)
        {
            var vectorizer = TextVectorizer.Fit(texts, text ?? new TextFeatureOptions(), rows);
            var counts = vectorizer.Transform(texts);
            var fitted = Fit(counts, scaling, rows);
            return (new FeatureTransform(fitted.Scaling, fitted.Columns, fitted.idf, fitted.NamesHash, vectorizer), counts);
        }
        var features = data.Features ?? throw new ArgumentException($"{data.Report.Path}: has neither features nor text");
        return (Fit(features, scaling, rows), features);
    }

    /// <summary>
    /// The feature rows of <paramref name="data"/> this transform applies to: its text vectorised when the model was
    /// trained on text, else its features, checked against the model's feature space (<see cref="CheckFeatures"/>).
    /// Text for a model of feature vectors, or feature vectors for a model of text, is refused in one line.
    /// </summary>
    internal FeatureMatrix Input(AnnotationSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var where = data.Report.Path;
        if (Text is not null)
        {
            if (data.Texts is null)
                throw new ArgumentException($"{where}: holds {(data.Features is null ? "no text" : "feature vectors")}; the model was trained on text ({Describe(Text)}) and takes text (one instance a line or a CSV or JSON Lines record)");
            return Text.Transform(data.Texts);
        }
        if (data.Texts is not null)
            throw new ArgumentException($"{where}: holds text; the model was trained on feature vectors of {Columns:N0} features and takes those, not text");
        if (data.Features is null) throw new ArgumentException($"{where}: has no features; the model was trained on {Columns:N0} features per instance");
        CheckFeatures(data.Features, where);
        return data.Features;
    }

    static string Describe(TextVectorizer text) => text.Terms is { } terms
        ? $"a vocabulary of {terms.Count:N0} terms"
        : $"terms hashed into {text.Width:N0} columns";

    /// <summary>Learns the scaling from <paramref name="rows"/> of <paramref name="features"/> (all rows when null).</summary>
    internal static FeatureTransform Fit(FeatureMatrix features, FeatureScaling scaling, int[]? rows = null)
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
                return new FeatureTransform(scaling, columns, IdfWeights(df, n), HashNames(features.Names));
            default:
                throw new ArgumentOutOfRangeException(nameof(scaling), scaling, "unknown feature scaling");
        }
    }

    /// <summary>
    /// The scaling learnt from counts alone: <paramref name="documentFrequency"/>[c] of <paramref name="rows"/> rows hold
    /// feature c (neither 0 nor NaN). What <see cref="Fit(FeatureMatrix, FeatureScaling, int[])"/> learns from the same rows.
    /// </summary>
    internal static FeatureTransform FromCounts(FeatureScaling scaling, long[] documentFrequency, long rows, string? namesHash, TextVectorizer? text = null) => scaling switch
    {
        FeatureScaling.None or FeatureScaling.L2 => FromParts(scaling, documentFrequency.Length, null, namesHash, text),
        FeatureScaling.TfIdf => FromParts(scaling, documentFrequency.Length, IdfWeights(documentFrequency, rows), namesHash, text),
        _ => throw new ArgumentOutOfRangeException(nameof(scaling), scaling, "unknown feature scaling"),
    };

    /// <summary>idf = ln((1 + n) / (1 + df)) + 1 for each feature.</summary>
    static float[] IdfWeights(long[] documentFrequency, long rows)
    {
        var weights = new float[documentFrequency.Length];
        for (int c = 0; c < weights.Length; c++) weights[c] = (float)(Math.Log((1.0 + rows) / (1.0 + documentFrequency[c])) + 1);
        return weights;
    }

    /// <summary>Value <paramref name="v"/> of feature <paramref name="c"/> scaled, before the row's L2 normalisation.</summary>
    float Scaled(float v, int c) => Scaling switch
    {
        FeatureScaling.None or FeatureScaling.L2 => v,
        FeatureScaling.TfIdf => (v > 0 ? 1 + MathF.Log(v) : v) * idf![c],
        _ => throw new InvalidOperationException("unknown feature scaling"),
    };

    /// <summary>
    /// Writes the dense row <paramref name="row"/> ([Columns] raw values), scaled, into <paramref name="destination"/>
    /// ([Columns]): the same floats <see cref="Apply"/> gives for the sparse row holding these values in column order.
    /// </summary>
    internal void ApplyDense(ReadOnlySpan<float> row, Span<float> destination)
    {
        Debug.Assert(row.Length == Columns && destination.Length == Columns);
        double squares = 0;
        for (int c = 0; c < row.Length; c++)
        {
            float v = row[c];
            if (v == 0 || float.IsNaN(v))
            {
                destination[c] = 0;
                continue;
            }
            v = Scaled(v, c);
            destination[c] = v;
            squares += (double)v * v;
        }
        if (Scaling is FeatureScaling.L2 or FeatureScaling.TfIdf && squares > 0)
        {
            float inverse = (float)(1 / Math.Sqrt(squares));
            for (int c = 0; c < destination.Length; c++) destination[c] *= inverse;
        }
    }

    /// <summary>
    /// A transform from saved parts (<see cref="ModelFolder"/>); <paramref name="namesHash"/> as <see cref="NamesHash"/>,
    /// <paramref name="text"/> as <see cref="Text"/>.
    /// </summary>
    internal static FeatureTransform FromParts(FeatureScaling scaling, int columns, float[]? idf, string? namesHash = null, TextVectorizer? text = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        bool needsIdf = scaling == FeatureScaling.TfIdf;
        if (needsIdf != (idf is not null)) throw new ArgumentException($"{scaling} scaling {(needsIdf ? "needs" : "takes no")} idf weights");
        if (idf is not null && idf.Length != columns) throw new ArgumentException($"{idf.Length} idf weights for {columns} features");
        if (text is not null && text.Width != columns) throw new ArgumentException($"the text vectoriser gives {text.Width} columns for {columns} features");
        return new FeatureTransform(scaling, columns, idf, namesHash, text);
    }

    /// <summary>Writes row <paramref name="row"/> of <paramref name="features"/>, scaled, into <paramref name="destination"/> ([Columns]).</summary>
    internal void Apply(FeatureMatrix features, int row, Span<float> destination)
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
            v = Scaled(v, c);
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
internal sealed class FeatureSource : IInstanceSource
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
