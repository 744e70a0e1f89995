using System.Globalization;
using System.Runtime.InteropServices;

namespace LabelSphere.Data;

/// <summary>
/// Reads LIBSVM / svmlight multi-label files, as LibMultiLabel, napkinXC and scikit-learn's
/// <c>load_svmlight_file(multilabel=True)</c> read them: one instance a line, <c>l1,l2,... f:v f:v ...</c>, with no
/// header. Labels are names (any text without commas, spaces or colons; integers as in the LIBSVM data sets), in
/// numeric order when every one is a non-negative integer and ordinal order otherwise; a line that starts with a space
/// has no labels. Feature indices are 1-based (column = index − 1) unless <see cref="ReaderOptions.ZeroBasedFeatures"/>,
/// strictly increasing along a line, and the feature count is inferred: the largest index (1-based) or the largest
/// index + 1 (0-based). Text after <c>#</c> is a comment; blank lines are skipped. The file is read twice: once for the
/// label names and the feature count, once for the instances.
/// </summary>
internal sealed class LibsvmReader : AnnotationStream
{
    readonly LineSource source;
    readonly LabelVocabulary vocabulary;
    readonly int featureCount;
    readonly bool zeroBased;

    /// <summary>Opens <paramref name="path"/> and reads it once for its label names and feature count.</summary>
    public LibsvmReader(string path, ReaderOptions options) : base(path, AnnotationFormat.Libsvm, options)
    {
        zeroBased = options.ZeroBasedFeatures;
        var names = new HashSet<string>(StringComparer.Ordinal);
        int maxIndex = -1;
        List<string> labels = [];
        List<int> ids = [];
        List<float> values = [];
        using (var scan = new LineSource(path))
        {
            while (scan.ReadLine() is { } line)
            {
                labels.Clear();
                ids.Clear();
                values.Clear();
                // An invalid line adds no label and no feature. Skipping, the second pass counts it; else it stops here,
                // before an empty vocabulary could hide it.
                if (!TryParse(line, labels, ids, values, scan.LineNumber, out var field, out var problem))
                {
                    if (!options.SkipInvalid) Invalid(scan.LineNumber, field, problem);
                    continue;
                }
                foreach (var label in labels) names.Add(label);
                if (ids.Count > 0) maxIndex = Math.Max(maxIndex, ids[^1]);
            }
        }
        vocabulary = new LabelVocabulary(Order(names));
        featureCount = maxIndex + 1;
        source = new LineSource(path);
    }

    /// <inheritdoc />
    public override LabelVocabulary Vocabulary => vocabulary;

    /// <inheritdoc />
    public override int FeatureCount => featureCount;

    /// <inheritdoc />
    public override bool FeatureCountInferred => true;

    /// <inheritdoc />
    public override long BytesRead => source.BytesRead;

    /// <summary>
    /// Whether <paramref name="line"/> has the shape of a LIBSVM line: a label list without colons (possibly empty),
    /// then at least one <c>index:value</c> pair and nothing else.
    /// </summary>
    public static bool LooksLikeLine(ReadOnlySpan<char> line)
    {
        int hash = line.IndexOf('#');
        if (hash >= 0) line = line[..hash];
        int split = line.IndexOfAny(' ', '\t');
        if (split < 0 || line[..split].Contains(':')) return false;
        var rest = line[(split + 1)..];
        int pairs = 0;
        while (true)
        {
            var token = NextToken(ref rest);
            if (token.IsEmpty) return pairs > 0;
            int colon = token.IndexOf(':');
            if (colon <= 0 || token[..colon].ContainsAnyExceptInRange('0', '9')
                || !double.TryParse(token[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                return false;
            pairs++;
        }
    }

    /// <summary>Label names in numeric order when all are non-negative integers, else in ordinal order.</summary>
    static string[] Order(HashSet<string> names)
    {
        var ordered = names.ToArray();
        bool numeric = true;
        foreach (var name in ordered)
            if (name.ContainsAnyExceptInRange('0', '9')) { numeric = false; break; }
        if (numeric)
            Array.Sort(ordered, (a, b) => a.TrimStart('0').Length != b.TrimStart('0').Length
                ? a.TrimStart('0').Length.CompareTo(b.TrimStart('0').Length)
                : string.CompareOrdinal(a.TrimStart('0'), b.TrimStart('0')) is var c && c != 0 ? c : string.CompareOrdinal(a, b));
        else Array.Sort(ordered, StringComparer.Ordinal);
        return ordered;
    }

    /// <inheritdoc />
    protected override IEnumerable<AnnotationChunk> ReadInstances(int chunkSize)
    {
        var chunk = new ChunkBuilder(vocabulary.Count, featureCount, hasIds: false);
        List<string> labels = [];
        List<int> label = [];
        List<int> ids = [];
        List<float> values = [];
        int row = 0;
        while (source.ReadLine() is { } line)
        {
            if (IsBlank(line)) continue;
            labels.Clear();
            label.Clear();
            ids.Clear();
            values.Clear();
            if (!TryParse(line, labels, ids, values, source.LineNumber, out var field, out var problem))
            {
                InvalidRow(row++, source.LineNumber, field, problem);
                continue;
            }
            row++;
            foreach (var name in labels) label.Add(vocabulary.IndexOf(name));
            Accepted(chunk.Add(CollectionsMarshal.AsSpan(label), CollectionsMarshal.AsSpan(ids), CollectionsMarshal.AsSpan(values)));
            if (chunk.Count == chunkSize) yield return chunk.Take();
        }
        if (chunk.Count > 0) yield return chunk.Take();
    }

    static bool IsBlank(ReadOnlySpan<char> line)
    {
        int hash = line.IndexOf('#');
        return (hash >= 0 ? line[..hash] : line).IsWhiteSpace();
    }

    /// <summary>
    /// Parses one line into label names and (0-based column, value) pairs; on a defect names the field and the
    /// problem. A blank or comment-only line parses to nothing and is not an instance (the caller skips it).
    /// </summary>
    bool TryParse(ReadOnlySpan<char> line, List<string> labels, List<int> ids, List<float> values, long lineNumber,
                  out string field, out string problem)
    {
        field = problem = "";
        int hash = line.IndexOf('#');
        if (hash >= 0) line = line[..hash];
        if (line.IsWhiteSpace()) return true;
        int split = line.IndexOfAny(' ', '\t');
        var labelPart = split < 0 ? line : line[..split];
        var featurePart = split < 0 ? [] : line[(split + 1)..];

        field = "labels";
        while (!labelPart.IsEmpty)
        {
            int comma = labelPart.IndexOf(',');
            var token = comma < 0 ? labelPart : labelPart[..comma];
            if (token.IsEmpty)
            {
                problem = "empty label in the label list";
                return false;
            }
            if (token.Contains(':'))
            {
                problem = $"'{Shorten(token)}' is not a label (a line without labels starts with a space)";
                return false;
            }
            labels.Add(token.ToString());
            if (comma < 0) break;
            labelPart = labelPart[(comma + 1)..];
            if (labelPart.IsEmpty)
            {
                problem = "the label list ends with ',' (truncated line?)";
                return false;
            }
        }

        field = "features";
        int previous = -1;
        while (true)
        {
            var token = NextToken(ref featurePart);
            if (token.IsEmpty) return true;
            int colon = token.IndexOf(':');
            if (colon < 0 || !int.TryParse(token[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                problem = $"'{Shorten(token)}' is not an index:value pair";
                return false;
            }
            if (index == 0 && !zeroBased)
                throw Fatal(lineNumber, "features", "feature index 0, but LIBSVM feature indices start at 1; this file is 0-based", nameof(ReaderOptions.ZeroBasedFeatures));
            int column = zeroBased ? index : index - 1;
            if (column <= previous)
            {
                problem = column == previous
                    ? $"feature index {index} is given twice on the line (which value holds?)"
                    : $"feature index {index} follows {(zeroBased ? previous : previous + 1)}; indices must increase along a line";
                return false;
            }
            previous = column;
            if (!ExtremeTextReader.TryParseValue(token[(colon + 1)..], index, out float v, out problem)) return false;
            ids.Add(column);
            values.Add(v);
        }
    }

    static ReadOnlySpan<char> NextToken(ref ReadOnlySpan<char> rest) => ExtremeTextReader.NextToken(ref rest);

    static string Shorten(ReadOnlySpan<char> text) => IO.Printable.Shorten(text);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) source.Dispose();
    }
}
