namespace LabelSphere.Data;

/// <summary>
/// Reads a wide 0/1 CSV: a header <c>image,&lt;label1&gt;,&lt;label2&gt;,...</c>, then one row per instance whose first
/// cell is the instance id and whose other cells are 0 or 1 (surrounding spaces allowed). Files ending in
/// <c>.gz</c> are gunzipped as they are read; blank lines are ignored.
/// </summary>
internal sealed class WideCsvReader : AnnotationStream
{
    readonly LineSource source;
    readonly CsvRecordReader csv;
    readonly LabelVocabulary vocabulary;
    readonly string idColumn;

    /// <summary>Opens <paramref name="path"/> and reads its header.</summary>
    public WideCsvReader(string path, ReaderOptions options) : base(path, AnnotationFormat.WideCsv, options)
    {
        source = new LineSource(path);
        try
        {
            csv = new CsvRecordReader(source);
            if (!csv.Read()) throw Fatal(1, "header", "the file is empty; expected a header 'image,<label1>,<label2>,...'");
            if (csv.FieldCount < 2) throw Fatal(csv.Line, "header", "the header names no labels; expected 'image,<label1>,<label2>,...'");
            idColumn = csv.GetString(0).Trim();
            var names = new string[csv.FieldCount - 1];
            var seen = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
            for (int c = 1; c < csv.FieldCount; c++)
            {
                var name = csv[c].Trim().ToString();
                if (name.Length == 0) throw Fatal(csv.Line, $"column {c + 1}", $"column {c + 1} of the header has no label name");
                if (!seen.TryAdd(name, c + 1))
                    throw Fatal(csv.Line, name, $"the label '{name}' appears twice in the header (columns {seen[name]} and {c + 1})");
                names[c - 1] = name;
            }
            vocabulary = new LabelVocabulary(names);
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
    public override long BytesRead => source.BytesRead;

    /// <inheritdoc />
    protected override IEnumerable<AnnotationChunk> ReadInstances(int chunkSize)
    {
        return Chunks(chunkSize);
    }

    IEnumerable<AnnotationChunk> Chunks(int chunkSize)
    {
        var chunk = new ChunkBuilder(vocabulary.Count, 0, hasIds: true);
        var labels = new int[vocabulary.Count];
        int expected = vocabulary.Count + 1;
        // A wide CSV has one row per instance: a second row for an id would count its labels twice.
        var lineOf = new Dictionary<string, long>(StringComparer.Ordinal);
        var lineOfId = lineOf.GetAlternateLookup<ReadOnlySpan<char>>();
        while (csv.Read())
        {
            if (csv.Unterminated)
            {
                Invalid(csv.Line, "row", "the row ends inside a quoted field (truncated file?)");
                continue;
            }
            if (csv.FieldCount != expected)
            {
                Invalid(csv.Line, "row", $"expected {expected} cells ({idColumn} and {vocabulary.Count} labels), found {csv.FieldCount}"
                    + (csv.FieldCount < expected ? " (truncated line?)" : ""));
                continue;
            }
            var id = csv[0].Trim();
            if (id.IsEmpty)
            {
                Invalid(csv.Line, idColumn, "the instance id is empty");
                continue;
            }
            int count = 0;
            string? problemField = null;
            for (int c = 1; c < expected; c++)
            {
                var cell = csv[c].Trim();
                if (cell.Length == 1 && cell[0] == '1') labels[count++] = c - 1;
                else if (cell.Length != 1 || cell[0] != '0')
                {
                    problemField = vocabulary[c - 1];
                    Invalid(csv.Line, problemField, $"the cell of row '{id}' holds '{Shorten(cell)}', not 0 or 1");
                    break;
                }
            }
            if (problemField is not null) continue;
            if (lineOfId.TryGetValue(id, out long first))
            {
                Invalid(csv.Line, idColumn, $"the instance '{Shorten(id)}' already has a row (line {first}); a wide CSV has one row per instance");
                continue;
            }
            lineOfId[id] = csv.Line;
            Accepted(chunk.Add(labels.AsSpan(0, count), id: id.ToString()));
            if (chunk.Count == chunkSize) yield return chunk.Take();
        }
        if (chunk.Count > 0) yield return chunk.Take();
    }

    static string Shorten(ReadOnlySpan<char> text) => IO.Printable.Shorten(text);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) source.Dispose();
    }
}
