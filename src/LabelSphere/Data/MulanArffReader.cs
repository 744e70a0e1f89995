using System.Globalization;
using System.Runtime.InteropServices;
using System.Xml;

namespace LabelSphere.Data;

/// <summary>
/// Reads a Mulan data set: an ARFF file (dense rows <c>v1,v2,...</c> or sparse rows <c>{3 1,17 1}</c>) and the label
/// XML that says which attributes are labels (every <c>label</c> element, nested ones included, so hierarchical
/// Mulan XML works). Label ids follow the ARFF attribute order, as in Mulan; every other attribute is a feature, in
/// attribute order: numeric values as they are, nominal values as the index of the value in the declaration, and a
/// missing value (<c>?</c>) as NaN.
/// </summary>
internal sealed class MulanArffReader : AnnotationStream
{
    readonly LineSource source;
    readonly LabelVocabulary vocabulary;
    readonly ArffAttribute[] attributes;
    readonly int[] labelOf;
    readonly int[] featureOf;
    readonly Dictionary<string, int>?[] nominalIndex;
    readonly int featureCount;
    readonly string[] featureNames;
    char[] scratch = new char[256];
    // indexSeen[a] == row when attribute a was already given in the current sparse row.
    int[]? indexSeen;
    int row;

    /// <summary>Opens <paramref name="path"/>, reads the ARFF header and the label XML.</summary>
    public MulanArffReader(string path, ReaderOptions options) : base(path, AnnotationFormat.MulanArff, options)
    {
        source = new LineSource(path);
        try
        {
            attributes = ReadHeader();
            var xmlPath = options.LabelXmlPath ?? DetectLabelXml(path)
                ?? throw Fatal(1, "label XML",
                    $"no label XML found: expected an .xml file in {System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))} " +
                    $"whose name begins the ARFF's name (like bibtex.xml for bibtex-train.arff); name the label XML explicitly",
                    nameof(ReaderOptions.LabelXmlPath));
            IO.InputFile.Require(xmlPath, "label XML file");
            var xmlLabels = ReadLabelXml(xmlPath);

            var byName = new Dictionary<string, int>(attributes.Length, StringComparer.Ordinal);
            for (int a = 0; a < attributes.Length; a++) byName[attributes[a].Name] = a;
            var isLabel = new bool[attributes.Length];
            foreach (var (name, line) in xmlLabels)
            {
                if (byName.TryGetValue(name, out int a))
                {
                    isLabel[a] = true;
                    continue;
                }
                var near = new LabelVocabulary(Array.ConvertAll(attributes, x => x.Name)).Suggest(name);
                var hint = near.Count > 0 ? $"; did you mean {string.Join(", ", near.Select(n => $"'{n}'"))}?" : "";
                throw new AnnotationFormatException(new AnnotationError(xmlPath, line, name,
                    $"the label '{name}' is not an attribute of {System.IO.Path.GetFileName(path)}{hint}"));
            }

            labelOf = new int[attributes.Length];
            featureOf = new int[attributes.Length];
            nominalIndex = new Dictionary<string, int>?[attributes.Length];
            var labelNames = new List<string>(xmlLabels.Count);
            for (int a = 0; a < attributes.Length; a++)
            {
                var attribute = attributes[a];
                if (isLabel[a])
                {
                    if (attribute.Kind == ArffKind.Nominal && !IsBinary(attribute.Values!))
                        throw Fatal(attribute.Line, attribute.Name,
                            $"the label '{attribute.Name}' is declared {{{Shorten(string.Join(',', attribute.Values!))}}}; a label attribute is binary, {{0,1}}");
                    labelOf[a] = labelNames.Count;
                    featureOf[a] = -1;
                    labelNames.Add(attribute.Name);
                    continue;
                }
                labelOf[a] = -1;
                featureOf[a] = featureCount++;
                if (attribute.Kind is ArffKind.String or ArffKind.Date)
                    throw Fatal(attribute.Line, attribute.Name,
                        $"the {attribute.Kind.ToString().ToLowerInvariant()} attribute '{attribute.Name}' is not a label and cannot be a numeric feature");
                if (attribute.Kind == ArffKind.Nominal)
                {
                    var index = new Dictionary<string, int>(StringComparer.Ordinal);
                    for (int v = 0; v < attribute.Values!.Length; v++) index.TryAdd(attribute.Values[v], v);
                    nominalIndex[a] = index;
                }
            }
            vocabulary = new LabelVocabulary(labelNames);
            featureNames = new string[featureCount];
            for (int a = 0; a < attributes.Length; a++) if (featureOf[a] >= 0) featureNames[featureOf[a]] = attributes[a].Name;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    static bool IsBinary(string[] values) =>
        values.Length == 2 && ((values[0] == "0" && values[1] == "1") || (values[0] == "1" && values[1] == "0"));

    /// <inheritdoc />
    public override LabelVocabulary Vocabulary => vocabulary;

    /// <inheritdoc />
    public override int FeatureCount => featureCount;

    /// <inheritdoc />
    public override IReadOnlyList<string>? FeatureNames => featureNames;

    /// <inheritdoc />
    public override long BytesRead => source.BytesRead;

    /// <summary>
    /// The label XML for <paramref name="arffPath"/>: the .xml file in the same folder whose name (without
    /// extension) begins the ARFF's file name, case-insensitive, the longest such name when several do; or null.
    /// </summary>
    public static string? DetectLabelXml(string arffPath)
    {
        var full = System.IO.Path.GetFullPath(arffPath);
        var folder = System.IO.Path.GetDirectoryName(full) ?? ".";
        var arffName = System.IO.Path.GetFileName(full);
        string? best = null;
        int bestLength = -1;
        foreach (var xml in Directory.EnumerateFiles(folder))
        {
            if (!xml.EndsWith(".xml", StringComparison.OrdinalIgnoreCase)) continue;
            var stem = System.IO.Path.GetFileNameWithoutExtension(xml);
            if (stem.Length > bestLength && arffName.StartsWith(stem, StringComparison.OrdinalIgnoreCase))
            {
                best = xml;
                bestLength = stem.Length;
            }
        }
        return best;
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
        int rowNumber = -1;
        while (source.ReadLine() is { } line)
        {
            var row = line.AsSpan().Trim();
            if (row.IsEmpty || row[0] == '%') continue;
            rowNumber++;
            labels.Clear();
            featureIds.Clear();
            featureValues.Clear();
            var (field, problem) = row[0] == '{'
                ? ParseSparse(row[1..], labels, featureIds, featureValues)
                : ParseDense(row, labels, featureIds, featureValues);
            if (problem is not null)
            {
                InvalidRow(rowNumber, source.LineNumber, field, problem);
                continue;
            }
            Accepted(chunk.Add(CollectionsMarshal.AsSpan(labels), CollectionsMarshal.AsSpan(featureIds), CollectionsMarshal.AsSpan(featureValues)));
            if (chunk.Count == chunkSize) yield return chunk.Take();
        }
        if (chunk.Count > 0) yield return chunk.Take();
    }

    (string Field, string? Problem) ParseDense(ReadOnlySpan<char> row, List<int> labels, List<int> featureIds, List<float> featureValues)
    {
        (string Field, string? Problem) firstCellError = ("", null);
        int count = 0;
        var rest = row;
        while (true)
        {
            if (!NextValue(ref rest, ',', out var value, ref scratch))
                return ("row", $"value {count + 1} opens a quote that is never closed (truncated line?)");
            if (count < attributes.Length && firstCellError.Problem is null)
                firstCellError = Take(count, value, labels, featureIds, featureValues);
            count++;
            rest = rest.TrimStart();
            if (rest.IsEmpty) break;
            if (rest[0] != ',') return ("row", $"unexpected text after value {count}: '{Shorten(rest)}'");
            rest = rest[1..].TrimStart();
            if (rest.Length > 0 && rest[0] == '{') break; // an instance weight ",{w}" after the values; not used
        }
        if (count != attributes.Length)
            return ("row", $"expected {attributes.Length} values (one per attribute), found {count}" + (count < attributes.Length ? " (truncated line?)" : ""));
        return firstCellError;
    }

    (string Field, string? Problem) ParseSparse(ReadOnlySpan<char> rest, List<int> labels, List<int> featureIds, List<float> featureValues)
    {
        const string truncated = "the sparse row has no closing '}' (truncated line?)";
        (string Field, string? Problem) firstCellError = ("", null);
        indexSeen ??= new int[attributes.Length];
        row++;
        while (true)
        {
            rest = rest.TrimStart();
            if (rest.IsEmpty) return ("row", truncated);
            if (rest[0] == '}') break;
            int end = rest.IndexOfAny(' ', '\t');
            if (end < 0) return ("row", truncated);
            var indexText = rest[..end];
            rest = rest[end..].TrimStart();
            if (!int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out int a))
                return ("index", $"'{Shorten(indexText)}' is not an attribute index");
            if (a >= attributes.Length)
                return ("index", $"attribute index {a} is past the last attribute ({attributes.Length - 1})");
            if (indexSeen[a] == row) return ("index", $"attribute index {a} ('{attributes[a].Name}') is given twice in the sparse row");
            indexSeen[a] = row;
            if (rest.IsEmpty) return ("row", truncated);
            if (!NextValue(ref rest, '}', out var value, ref scratch)) return ("row", truncated);
            if (firstCellError.Problem is null) firstCellError = Take(a, value, labels, featureIds, featureValues);
            rest = rest.TrimStart();
            if (rest.IsEmpty) return ("row", truncated);
            if (rest[0] == ',') rest = rest[1..];
            else if (rest[0] != '}') return ("row", $"unexpected text in the sparse row: '{Shorten(rest)}'");
        }
        rest = rest[1..].TrimStart();
        if (!rest.IsEmpty && !rest.StartsWith(",{") && !rest.StartsWith("{"))
            return ("row", $"unexpected text after the sparse row: '{Shorten(rest)}'");
        return firstCellError;
    }

    /// <summary>Files the value of attribute <paramref name="a"/> as a label or a feature.</summary>
    (string Field, string? Problem) Take(int a, ReadOnlySpan<char> value, List<int> labels, List<int> featureIds, List<float> featureValues)
    {
        if (labelOf[a] >= 0)
        {
            if (value.SequenceEqual("1")) labels.Add(labelOf[a]);
            else if (!value.SequenceEqual("0")) return (attributes[a].Name, $"the label value '{Shorten(value)}' is not 0 or 1");
            return ("", null);
        }
        float x;
        if (value.SequenceEqual("?")) x = float.NaN;
        else if (nominalIndex[a] is { } index)
        {
            if (!index.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(value, out int v))
                return (attributes[a].Name, $"'{Shorten(value)}' is not one of the declared values {{{string.Join(',', attributes[a].Values!)}}}");
            x = v;
        }
        else if (!float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out x))
            return (attributes[a].Name, $"'{Shorten(value)}' is not a number");
        featureIds.Add(featureOf[a]);
        featureValues.Add(x);
        return ("", null);
    }

    ArffAttribute[] ReadHeader()
    {
        var list = new List<ArffAttribute>();
        var names = new Dictionary<string, long>(StringComparer.Ordinal);
        while (source.ReadLine() is { } raw)
        {
            var line = raw.AsSpan().Trim();
            long number = source.LineNumber;
            if (line.IsEmpty || line[0] == '%') continue;
            if (line[0] != '@') throw Fatal(number, "header", $"expected a declaration (@relation, @attribute, @data), got '{Shorten(line)}'");
            int end = line.IndexOfAny(' ', '\t');
            var keyword = end < 0 ? line : line[..end];
            var rest = end < 0 ? [] : line[end..].TrimStart();
            if (keyword.Equals("@relation", StringComparison.OrdinalIgnoreCase)) continue;
            if (keyword.Equals("@data", StringComparison.OrdinalIgnoreCase))
            {
                if (list.Count == 0) throw Fatal(number, "header", "@data comes before any @attribute");
                return [.. list];
            }
            if (!keyword.Equals("@attribute", StringComparison.OrdinalIgnoreCase))
                throw Fatal(number, "header", $"unknown declaration '{Shorten(keyword)}'");

            var attribute = ParseAttribute(rest, number);
            if (!names.TryAdd(attribute.Name, number))
                throw Fatal(number, attribute.Name, $"the attribute '{attribute.Name}' is declared twice (lines {names[attribute.Name]} and {number})");
            list.Add(attribute);
        }
        throw Fatal(source.LineNumber + 1, "header", "the file ends before @data");
    }

    ArffAttribute ParseAttribute(ReadOnlySpan<char> rest, long line)
    {
        string name;
        if (rest.Length > 0 && rest[0] is '\'' or '"')
        {
            if (!NextValue(ref rest, ' ', out var quoted, ref scratch))
                throw Fatal(line, "header", "the attribute name opens a quote that is never closed");
            name = new string(quoted);
        }
        else
        {
            int end = rest.IndexOfAny(' ', '\t');
            if (end < 0) throw Fatal(line, "header", $"the attribute '{Shorten(rest)}' has no type");
            name = new string(rest[..end]);
            rest = rest[end..];
        }
        rest = rest.Trim();
        if (name.Length == 0) throw Fatal(line, "header", "an attribute has an empty name");
        if (rest.IsEmpty) throw Fatal(line, name, $"the attribute '{name}' has no type");

        if (rest[0] == '{')
        {
            if (rest[^1] != '}') throw Fatal(line, name, "the list of nominal values has no closing '}'");
            var inner = rest[1..^1];
            var values = new List<string>();
            while (!inner.IsWhiteSpace())
            {
                if (!NextValue(ref inner, ',', out var value, ref scratch))
                    throw Fatal(line, name, "a nominal value opens a quote that is never closed");
                values.Add(new string(value));
                inner = inner.TrimStart();
                if (inner.IsEmpty) break;
                if (inner[0] != ',') throw Fatal(line, name, $"unexpected text in the nominal values: '{Shorten(inner)}'");
                inner = inner[1..];
            }
            return new ArffAttribute(name, ArffKind.Nominal, [.. values], line);
        }
        int typeEnd = rest.IndexOfAny(' ', '\t');
        var type = typeEnd < 0 ? rest : rest[..typeEnd];
        ArffKind kind;
        if (type.Equals("numeric", StringComparison.OrdinalIgnoreCase) || type.Equals("real", StringComparison.OrdinalIgnoreCase)
            || type.Equals("integer", StringComparison.OrdinalIgnoreCase)) kind = ArffKind.Numeric;
        else if (type.Equals("string", StringComparison.OrdinalIgnoreCase)) kind = ArffKind.String;
        else if (type.Equals("date", StringComparison.OrdinalIgnoreCase)) kind = ArffKind.Date;
        else throw Fatal(line, name, $"the attribute type '{Shorten(type)}' is not supported (numeric, real, integer, string, date or {{nominal values}})");
        return new ArffAttribute(name, kind, null, line);
    }

    static List<(string Name, long Line)> ReadLabelXml(string xmlPath)
    {
        var labels = new List<(string Name, long Line)>();
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null, IgnoreComments = true };
        try
        {
            using var xml = XmlReader.Create(xmlPath, settings);
            var info = (IXmlLineInfo)xml;
            while (xml.Read())
            {
                if (xml.NodeType != XmlNodeType.Element || xml.LocalName != "label") continue;
                long line = info.LineNumber;
                var name = xml.GetAttribute("name");
                if (string.IsNullOrEmpty(name)) throw XmlError(xmlPath, line, "label", "a label element has no name attribute");
                if (!seen.TryAdd(name, line))
                    throw XmlError(xmlPath, line, name, $"the label '{name}' is listed twice (lines {seen[name]} and {line})");
                labels.Add((name, line));
            }
        }
        catch (XmlException e)
        {
            throw XmlError(xmlPath, e.LineNumber, "xml", $"malformed XML: {e.Message}");
        }
        if (labels.Count == 0) throw XmlError(xmlPath, 1, "label", "the label XML names no labels (expected <label name=\"...\"> elements)");
        return labels;
    }

    static AnnotationFormatException XmlError(string path, long line, string field, string problem) =>
        new(new AnnotationError(path, line, field, problem));

    /// <summary>
    /// Splits off the next value of <paramref name="rest"/>: a quoted value ('...' or "...", backslash escapes
    /// resolved into <paramref name="scratch"/>) or the text up to <paramref name="stop"/> or a comma, trimmed.
    /// False when a quote is never closed.
    /// </summary>
    static bool NextValue(ref ReadOnlySpan<char> rest, char stop, out ReadOnlySpan<char> value, ref char[] scratch)
    {
        rest = rest.TrimStart();
        if (rest.Length > 0 && rest[0] is '\'' or '"')
        {
            char quote = rest[0];
            int n = 0;
            for (int i = 1; i < rest.Length; i++)
            {
                char c = rest[i];
                if (c == quote)
                {
                    value = scratch.AsSpan(0, n);
                    rest = rest[(i + 1)..];
                    return true;
                }
                if (c == '\\' && i + 1 < rest.Length)
                {
                    c = rest[++i] switch { 'n' => '\n', 'r' => '\r', 't' => '\t', var other => other };
                }
                if (n == scratch.Length) Array.Resize(ref scratch, scratch.Length * 2);
                scratch[n++] = c;
            }
            value = default;
            return false;
        }
        int end = rest.IndexOfAny(',', stop);
        if (end < 0) end = rest.Length;
        value = rest[..end].TrimEnd();
        rest = rest[end..];
        return true;
    }

    static string Shorten(ReadOnlySpan<char> text) => IO.Printable.Shorten(text);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) source.Dispose();
    }

    enum ArffKind { Numeric, Nominal, String, Date }

    sealed record ArffAttribute(string Name, ArffKind Kind, string[]? Values, long Line);
}
