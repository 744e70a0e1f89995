using System.Text.Json;

namespace LabelSphere.Data;

/// <summary>
/// Reads raw text with its labels, one instance a record, for a model that featurises text
/// (<see cref="Text.TextVectorizer"/>):
/// <list type="bullet">
/// <item><see cref="AnnotationFormat.Text"/>: one line an instance, <c>labels&lt;TAB&gt;text</c>, or LibMultiLabel's
/// <c>id&lt;TAB&gt;labels&lt;TAB&gt;text</c>; the first line decides which, every line must have as many fields.</item>
/// <item><see cref="AnnotationFormat.TextCsv"/>: CSV (RFC 4180) whose header names the columns
/// <see cref="ReaderOptions.TextColumn"/>, <see cref="ReaderOptions.LabelsColumn"/> and optionally
/// <see cref="ReaderOptions.IdColumn"/>; other columns are ignored.</item>
/// <item><see cref="AnnotationFormat.TextJsonl"/>: one JSON object a line with those fields; the labels field is a
/// string or an array of strings, the id a string or a number.</item>
/// </list>
/// Labels in a string are separated by <see cref="ReaderOptions.LabelSeparator"/> (a space, as LibMultiLabel writes
/// them; runs of separators count as one), an empty labels field is an instance without labels, and labels are kept
/// in first-seen order. The whole file is read when the stream opens.
/// </summary>
internal sealed class TextAnnotationReader : AnnotationStream
{
    readonly LabelVocabulary vocabulary;
    readonly List<int[]> rows = [];
    readonly List<string> texts = [];
    readonly Dictionary<string, int> labelIndex = new(StringComparer.Ordinal);
    readonly List<string> labelNames = [];
    readonly string separator;

    /// <summary>Reads the whole of <paramref name="path"/> as <paramref name="format"/> (one of the text formats).</summary>
    public TextAnnotationReader(string path, AnnotationFormat format, ReaderOptions options) : base(path, format, options)
    {
        if (string.IsNullOrEmpty(options.LabelSeparator))
            throw new ArgumentException("the label separator must not be empty", nameof(options.LabelSeparator));
        separator = options.LabelSeparator;
        using var source = new LineSource(path);
        bool hasIds = format switch
        {
            AnnotationFormat.Text => ReadTabs(source),
            AnnotationFormat.TextCsv => ReadCsv(source, options),
            AnnotationFormat.TextJsonl => ReadJsonLines(source, options),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not a text format"),
        };
        if (!hasIds) idList = null;
        vocabulary = new LabelVocabulary([.. labelNames]);
    }

    /// <inheritdoc />
    public override LabelVocabulary Vocabulary => vocabulary;

    /// <inheritdoc />
    public override bool HasText => true;

    // Filled while reading; ids stays null for a file without an id column (see the constructor).
    List<string>? idList;

    bool ReadTabs(LineSource source)
    {
        int fields = 0, row = 0;
        while (source.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            int count = line.AsSpan().Count('\t') + 1;
            if (fields == 0)
            {
                if (count is not (2 or 3))
                    throw Fatal(source.LineNumber, "fields", $"expected 'labels<TAB>text' or 'id<TAB>labels<TAB>text', got {count} tab-separated field{(count == 1 ? "" : "s")}");
                fields = count;
            }
            if (count != fields)
            {
                InvalidRow(row++, source.LineNumber, "fields", $"{count} tab-separated fields; the file's first line has {fields} ({(fields == 2 ? "labels, text" : "id, labels, text")})");
                continue;
            }
            var parts = line.Split('\t');
            if (fields == 3 && parts[0].Trim().Length == 0)
            {
                InvalidRow(row++, source.LineNumber, "id", "the instance id is empty");
                continue;
            }
            row++;
            Add(SplitLabels(parts[fields - 2]), parts[fields - 1], fields == 3 ? parts[0].Trim() : null);
        }
        return fields == 3;
    }

    bool ReadCsv(LineSource source, ReaderOptions options)
    {
        var csv = new CsvRecordReader(source);
        if (!csv.Read()) throw Fatal(1, "header", "the file is empty; expected a header naming the text and labels columns");
        var header = new string[csv.FieldCount];
        for (int i = 0; i < header.Length; i++) header[i] = csv.GetString(i).Trim();
        int Column(string name, string setting) => Array.IndexOf(header, name) is var c && c >= 0 ? c
            : throw Fatal(csv.Line, "header", $"no column '{name}' in the header '{IO.Printable.Shorten(string.Join(',', header))}'", setting);
        int textColumn = Column(options.TextColumn, nameof(ReaderOptions.TextColumn));
        int labelsColumn = Column(options.LabelsColumn, nameof(ReaderOptions.LabelsColumn));
        int idColumn = options.IdColumn is { } id ? Column(id, nameof(ReaderOptions.IdColumn)) : -1;
        int row = 0;
        while (csv.Read())
        {
            if (csv.Unterminated)
            {
                InvalidRow(row++, csv.Line, "row", "the row ends inside a quoted field (truncated file?)");
                continue;
            }
            if (csv.FieldCount != header.Length)
            {
                InvalidRow(row++, csv.Line, "row", $"{csv.FieldCount} cells; the header has {header.Length} columns (quote a field that holds a comma)");
                continue;
            }
            if (idColumn >= 0 && csv[idColumn].Trim().IsEmpty)
            {
                InvalidRow(row++, csv.Line, header[idColumn], "the instance id is empty");
                continue;
            }
            row++;
            Add(SplitLabels(csv.GetString(labelsColumn)), csv.GetString(textColumn), idColumn >= 0 ? csv.GetString(idColumn).Trim() : null);
        }
        return idColumn >= 0;
    }

    bool ReadJsonLines(LineSource source, ReaderOptions options)
    {
        int row = 0;
        while (source.ReadLine() is { } line)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var (field, problem) = ("record", (string?)null);
            string[]? labels = null;
            string? text = null, id = null;
            try
            {
                using var document = JsonDocument.Parse(line);
                var record = document.RootElement;
                if (record.ValueKind != JsonValueKind.Object) problem = $"a {record.ValueKind.ToString().ToLowerInvariant()}, not a JSON object";
                else if (!record.TryGetProperty(options.TextColumn, out var textValue) || textValue.ValueKind != JsonValueKind.String)
                    (field, problem) = (options.TextColumn, textValue.ValueKind == JsonValueKind.Undefined ? "missing" : $"a {Kind(textValue)}, not a string");
                else if (!record.TryGetProperty(options.LabelsColumn, out var labelsValue))
                    (field, problem) = (options.LabelsColumn, "missing (an instance without labels has \"\" or [])");
                else if (!TryLabels(labelsValue, out labels))
                    (field, problem) = (options.LabelsColumn, $"a {Kind(labelsValue)}, not a string or an array of strings");
                else if (options.IdColumn is { } idName && !TryId(record, idName, out id))
                    (field, problem) = (idName, "missing, empty, or not a string or a number");
                else text = textValue.GetString();
            }
            catch (JsonException e)
            {
                problem = $"not valid JSON ({e.Message.Split(" Path:")[0].Split(" LineNumber:")[0].TrimEnd('.')})";
            }
            if (problem is not null)
            {
                InvalidRow(row++, source.LineNumber, field, problem);
                continue;
            }
            row++;
            Add(labels!, text!, id);
        }
        return options.IdColumn is not null;
    }

    static string Kind(JsonElement value) => value.ValueKind.ToString().ToLowerInvariant();

    bool TryLabels(JsonElement value, out string[] labels)
    {
        labels = [];
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                labels = SplitLabels(value.GetString()!);
                return true;
            case JsonValueKind.Array:
                var list = new List<string>();
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String || item.GetString()!.Trim() is not { Length: > 0 } name) return false;
                    list.Add(name);
                }
                labels = [.. list];
                return true;
            default:
                return false;
        }
    }

    static bool TryId(JsonElement record, string name, out string? id)
    {
        id = null;
        if (!record.TryGetProperty(name, out var value)) return false;
        id = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!.Trim(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        return !string.IsNullOrEmpty(id);
    }

    string[] SplitLabels(string field) => field.Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    void Add(string[] labels, string text, string? id)
    {
        var row = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (!labelIndex.TryGetValue(labels[i], out int label))
            {
                label = labelNames.Count;
                labelIndex.Add(labels[i], label);
                labelNames.Add(labels[i]);
            }
            row[i] = label;
        }
        rows.Add(row);
        texts.Add(text);
        if (id is not null) (idList ??= []).Add(id);
    }

    /// <inheritdoc />
    protected override IEnumerable<AnnotationChunk> ReadInstances(int chunkSize)
    {
        bool hasIds = idList is not null;
        System.Diagnostics.Debug.Assert(idList is null || idList.Count == rows.Count);
        var chunk = new ChunkBuilder(vocabulary.Count, 0, hasIds, hasText: true);
        for (int i = 0; i < rows.Count; i++)
        {
            Accepted(chunk.Add(rows[i], id: hasIds ? idList![i] : null, text: texts[i]));
            if (chunk.Count == chunkSize) yield return chunk.Take();
        }
        if (chunk.Count > 0) yield return chunk.Take();
    }
}
