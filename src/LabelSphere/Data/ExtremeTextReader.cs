using System.Globalization;
using System.Runtime.InteropServices;

namespace LabelSphere.Data;

/// <summary>
/// Reads the Extreme Classification Repository text format: a header line <c>N F L</c> (instances, features,
/// labels), then one line per instance <c>l1,l2,... f:v f:v ...</c> with 0-based ids. A line that starts with a space
/// has no labels; a blank line is an instance with neither labels nor features. Label names come from
/// <see cref="ReaderOptions.LabelNamesPath"/>, else from <c>prefix_labels.txt</c> beside a <c>prefix_data.txt</c>
/// file, else they are the ids themselves ("0", "1", ...). Feature names, where <c>prefix_features.txt</c> lies beside
/// the data file, are read too (one a line, as many as the header's F), so that a model can tell its feature space.
/// </summary>
internal sealed class ExtremeTextReader : AnnotationStream
{
    readonly LineSource source;
    readonly LabelVocabulary vocabulary;
    readonly int declaredInstances;
    readonly int featureCount;
    // featureSeen[id] == row when feature id was already given on the current line.
    int[]? featureSeen;
    int row;
    readonly string[]? featureNames;

    /// <summary>Opens <paramref name="path"/>, reads its header and the label names.</summary>
    public ExtremeTextReader(string path, ReaderOptions options) : base(path, AnnotationFormat.ExtremeText, options)
    {
        source = new LineSource(path);
        try
        {
            var header = source.ReadLine();
            if (header is null) throw Fatal(1, "header", "the file is empty; expected a first line 'N F L' (instances, features, labels)");
            if (!TryParseHeader(header, out declaredInstances, out featureCount, out int labelCount))
                throw Fatal(1, "header", HeaderProblem(header));
            if (labelCount == 0)
                throw Fatal(1, "header", "the header 'N F L' declares L = 0 labels; a data set needs at least one (lines without labels start with a space)");
            vocabulary = ReadLabelNames(path, options.LabelNamesPath, labelCount);
            featureNames = ReadFeatureNames(path, featureCount);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override LabelVocabulary Vocabulary => vocabulary;

    /// <inheritdoc />
    public override int FeatureCount => featureCount;

    /// <inheritdoc />
    public override IReadOnlyList<string>? FeatureNames => featureNames;

    /// <inheritdoc />
    public override long BytesRead => source.BytesRead;

    /// <summary>
    /// The label names file used when none is given: <c>prefix_labels.txt</c> beside <c>prefix_data.txt</c>, or null
    /// when the data file is not named that way or the names file does not exist.
    /// </summary>
    public static string? DefaultLabelNamesPath(string dataPath) => Beside(dataPath, "_labels.txt");

    /// <summary>The feature names file: <c>prefix_features.txt</c> beside <c>prefix_data.txt</c>, or null when there is none.</summary>
    public static string? FeatureNamesPath(string dataPath) => Beside(dataPath, "_features.txt");

    static string? Beside(string dataPath, string suffix)
    {
        const string dataSuffix = "_data.txt";
        var name = System.IO.Path.GetFileName(dataPath);
        if (!name.EndsWith(dataSuffix, StringComparison.OrdinalIgnoreCase)) return null;
        var candidate = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(dataPath) ?? "", name[..^dataSuffix.Length] + suffix);
        return File.Exists(candidate) ? candidate : null;
    }

    /// <summary>The names in <see cref="FeatureNamesPath"/>, one per feature, or null when there is no such file.</summary>
    static string[]? ReadFeatureNames(string dataPath, int featureCount)
    {
        var namesPath = FeatureNamesPath(dataPath);
        if (namesPath is null) return null;
        var names = new List<string>(featureCount);
        using var lines = new LineSource(namesPath);
        while (lines.ReadLine() is { } line) names.Add(line);
        while (names.Count > featureCount && names[^1].Length == 0) names.RemoveAt(names.Count - 1);
        if (names.Count != featureCount)
            throw new AnnotationFormatException(new AnnotationError(namesPath, names.Count + 1, "feature names",
                $"{names.Count} feature names for the {featureCount} features that {System.IO.Path.GetFileName(dataPath)} declares"));
        return [.. names];
    }

    /// <summary>Parses a header line <c>N F L</c>: three non-negative integers separated by spaces or tabs.</summary>
    public static bool TryParseHeader(ReadOnlySpan<char> line, out int instances, out int features, out int labels)
    {
        features = labels = 0;
        return TryParseCount(NextToken(ref line), out instances)
            && TryParseCount(NextToken(ref line), out features)
            && TryParseCount(NextToken(ref line), out labels)
            && line.IsWhiteSpace();
    }

    /// <summary>
    /// Whether <paramref name="line"/> has the shape of a header: three runs of digits separated by spaces or tabs,
    /// whether or not the numbers fit; the reader then says which does not.
    /// </summary>
    public static bool LooksLikeHeader(ReadOnlySpan<char> line)
    {
        for (int i = 0; i < 3; i++)
        {
            var token = NextToken(ref line);
            if (token.IsEmpty || token.ContainsAnyExceptInRange('0', '9')) return false;
        }
        return line.IsWhiteSpace();
    }

    /// <summary>What is wrong with a header line that <see cref="TryParseHeader"/> refused.</summary>
    static string HeaderProblem(ReadOnlySpan<char> line)
    {
        if (LooksLikeHeader(line))
        {
            var rest = line;
            foreach (var what in (ReadOnlySpan<string>)["instance", "feature", "label"])
            {
                var token = NextToken(ref rest);
                if (!TryParseCount(token, out _))
                    return $"the {what} count {Shorten(token)} is larger than {int.MaxValue:N0}, the most LabelSphere reads";
            }
        }
        return $"expected 'N F L' (instances, features, labels as three non-negative integers), got '{Shorten(line)}'";
    }

    /// <inheritdoc />
    protected override IEnumerable<AnnotationChunk> ReadInstances(int chunkSize)
    {
        return Chunks(chunkSize);
    }

    IEnumerable<AnnotationChunk> Chunks(int chunkSize)
    {
        var chunk = new ChunkBuilder(vocabulary.Count, featureCount, hasIds: false);
        List<int> labels = [];
        List<int> featureIds = [];
        List<float> featureValues = [];
        long instances = 0;
        while (source.ReadLine() is { } line)
        {
            instances++;
            if (instances > declaredInstances)
            {
                InvalidRow((int)(instances - 1), source.LineNumber, "instances", $"instance {instances} is past the header's instance count {declaredInstances}");
                continue;
            }
            labels.Clear();
            featureIds.Clear();
            featureValues.Clear();
            if (!TryParseInstance(line, labels, featureIds, featureValues, out var field, out var problem))
            {
                InvalidRow((int)(instances - 1), source.LineNumber, field, problem);
                continue;
            }
            Accepted(chunk.Add(CollectionsMarshal.AsSpan(labels), CollectionsMarshal.AsSpan(featureIds), CollectionsMarshal.AsSpan(featureValues)));
            if (chunk.Count == chunkSize) yield return chunk.Take();
        }
        if (chunk.Count > 0) yield return chunk.Take();
        if (instances < declaredInstances)
            Invalid(source.LineNumber + 1, "instances",
                $"the file ends after {instances} instances but the header announces {declaredInstances} (truncated file?)");
    }

    /// <summary>Parses one instance line into label ids and (feature id, value) pairs; on a defect names the field and the problem.</summary>
    bool TryParseInstance(ReadOnlySpan<char> line, List<int> labels, List<int> featureIds, List<float> featureValues,
                          out string field, out string problem)
    {
        field = problem = "";
        row++;
        int split = line.IndexOfAny(' ', '\t');
        var labelPart = split < 0 ? line : line[..split];
        var featurePart = split < 0 ? [] : line[(split + 1)..];

        while (!labelPart.IsEmpty)
        {
            int comma = labelPart.IndexOf(',');
            var token = comma < 0 ? labelPart : labelPart[..comma];
            field = "labels";
            if (token.IsEmpty)
            {
                problem = "empty label id in the label list";
                return false;
            }
            if (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
            {
                problem = token.Contains(':')
                    ? $"'{Shorten(token)}' is not a label id (a line without labels starts with a space)"
                    : $"'{Shorten(token)}' is not a label id";
                return false;
            }
            if (id >= vocabulary.Count)
            {
                problem = $"label id {id} is past the header's label count {vocabulary.Count}";
                return false;
            }
            labels.Add(id);
            if (comma < 0) break;
            labelPart = labelPart[(comma + 1)..];
            if (labelPart.IsEmpty)
            {
                problem = "the label list ends with ',' (truncated line?)";
                return false;
            }
        }

        field = "features";
        while (true)
        {
            var token = NextToken(ref featurePart);
            if (token.IsEmpty) return true;
            int colon = token.IndexOf(':');
            if (colon < 0 || !int.TryParse(token[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out int id))
            {
                problem = $"'{Shorten(token)}' is not a feature:value pair";
                return false;
            }
            if (id >= featureCount)
            {
                problem = $"feature id {id} is past the header's feature count {featureCount}";
                return false;
            }
            featureSeen ??= new int[featureCount];
            if (featureSeen[id] == row)
            {
                problem = $"feature {id} is given twice on the line (which value holds?)";
                return false;
            }
            featureSeen[id] = row;
            if (!TryParseValue(token[(colon + 1)..], id, out float v, out problem)) return false;
            featureIds.Add(id);
            featureValues.Add(v);
        }
    }

    /// <summary>The value of feature <paramref name="id"/> in an <c>id:value</c> pair: a finite number; else the problem.</summary>
    internal static bool TryParseValue(ReadOnlySpan<char> value, int id, out float parsed, out string problem)
    {
        problem = "";
        if (value.IsEmpty) problem = $"feature {id} has no value (truncated line?)";
        else if (!float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out parsed) || !float.IsFinite(parsed))
            problem = $"the value '{Shorten(value)}' of feature {id} is not a finite number";
        else return true;
        parsed = 0;
        return false;
    }

    LabelVocabulary ReadLabelNames(string dataPath, string? namesPath, int labelCount)
    {
        if (namesPath is not null) IO.InputFile.Require(namesPath, "label names file");
        namesPath ??= DefaultLabelNamesPath(dataPath);
        var names = new string[labelCount];
        if (namesPath is null)
        {
            for (int i = 0; i < labelCount; i++) names[i] = i.ToString(CultureInfo.InvariantCulture);
            return new LabelVocabulary(names);
        }

        var seen = new Dictionary<string, long>(labelCount, StringComparer.Ordinal);
        using var lines = new LineSource(namesPath);
        int count = 0;
        while (lines.ReadLine() is { } line)
        {
            var name = line.Trim();
            if (count == labelCount)
            {
                if (name.Length == 0) continue;
                throw NamesError(namesPath, lines.LineNumber, $"more label names than the {labelCount} labels that {System.IO.Path.GetFileName(dataPath)} declares");
            }
            if (name.Length == 0) throw NamesError(namesPath, lines.LineNumber, $"label {count} has an empty name");
            if (!seen.TryAdd(name, lines.LineNumber))
                throw NamesError(namesPath, lines.LineNumber, $"the label name '{name}' appears twice (lines {seen[name]} and {lines.LineNumber})");
            names[count++] = name;
        }
        if (count < labelCount)
            throw NamesError(namesPath, lines.LineNumber + 1, $"{count} label names for the {labelCount} labels that {System.IO.Path.GetFileName(dataPath)} declares");
        return new LabelVocabulary(names);
    }

    static AnnotationFormatException NamesError(string path, long line, string problem) =>
        new(new AnnotationError(path, line, "label names", problem));

    static bool TryParseCount(ReadOnlySpan<char> token, out int value) =>
        int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    /// <summary>The next run of non-blank characters; <paramref name="rest"/> moves past it.</summary>
    internal static ReadOnlySpan<char> NextToken(ref ReadOnlySpan<char> rest)
    {
        rest = rest.TrimStart();
        int end = rest.IndexOfAny(' ', '\t');
        if (end < 0) end = rest.Length;
        var token = rest[..end];
        rest = rest[end..];
        return token;
    }

    static string Shorten(ReadOnlySpan<char> text) => IO.Printable.Shorten(text);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) source.Dispose();
    }
}
