namespace LabelSphere.Data;

/// <summary>
/// Reads a long CSV: a header of two columns (<c>image,label</c>), then one row per (instance, label) pair, fields
/// quoted as in RFC 4180 when they hold commas or quotes. The rows of an instance need not be adjacent: the whole file
/// is read when the stream opens, instances keep the order in which they first appear and labels likewise; a pair
/// listed twice counts once.
/// </summary>
internal sealed class LongCsvReader : AnnotationStream
{
    readonly LabelVocabulary vocabulary;
    readonly int[][] rows;
    readonly string[] ids;

    /// <summary>Reads the whole of <paramref name="path"/>.</summary>
    public LongCsvReader(string path, ReaderOptions options) : base(path, AnnotationFormat.LongCsv, options)
    {
        using var source = new LineSource(path);
        var csv = new CsvRecordReader(source);
        if (!csv.Read()) throw Fatal(1, "header", "the file is empty; expected a header 'image,label'");
        if (csv.FieldCount != 2)
            throw Fatal(csv.Line, "header", $"a long CSV has two columns (instance, label), the header has {csv.FieldCount}: '{string.Join(',', Fields(csv))}'");
        var idColumn = csv.GetString(0).Trim();
        var labelColumn = csv.GetString(1).Trim();
        if (idColumn.Length == 0) idColumn = "image";
        if (labelColumn.Length == 0) labelColumn = "label";

        // Pairs are kept as (instance index, first-seen label index); an instance with a bad row is dropped whole.
        var instanceIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var instanceNames = new List<string>();
        var bad = new List<bool>();
        var labelIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var labelNames = new List<string>();
        var pairInstance = new List<int>();
        var pairLabel = new List<int>();
        var idLookup = instanceIndex.GetAlternateLookup<ReadOnlySpan<char>>();
        var labelLookup = labelIndex.GetAlternateLookup<ReadOnlySpan<char>>();
        while (csv.Read())
        {
            var id = csv[0].Trim();
            if (id.IsEmpty)
            {
                Invalid(csv.Line, idColumn, "the instance id is empty");
                continue;
            }
            if (!idLookup.TryGetValue(id, out int instance))
            {
                instance = instanceNames.Count;
                var name = id.ToString();
                instanceIndex.Add(name, instance);
                instanceNames.Add(name);
                bad.Add(false);
            }
            string? problem = null;
            string field = labelColumn;
            if (csv.Unterminated) (field, problem) = ("row", "the row ends inside a quoted field (truncated file?)");
            else if (csv.FieldCount < 2) problem = $"the row has no {labelColumn} column";
            else if (csv.FieldCount > 2) (field, problem) = ("row", $"expected 2 cells, found {csv.FieldCount} (quote a label that holds a comma)");
            else if (csv[1].Trim().IsEmpty) problem = "the label is empty";
            if (problem is not null)
            {
                // One error per dropped instance: its other bad rows add nothing the first did not say.
                if (!bad[instance]) Invalid(csv.Line, field, problem);
                bad[instance] = true;
                continue;
            }
            var label = csv[1].Trim();
            if (!labelLookup.TryGetValue(label, out int labelId))
            {
                labelId = labelNames.Count;
                var name = label.ToString();
                labelIndex.Add(name, labelId);
                labelNames.Add(name);
            }
            pairInstance.Add(instance);
            pairLabel.Add(labelId);
        }

        // Renumber labels so that those seen only on dropped instances leave no gap, keeping first-seen order.
        var newLabel = new int[labelNames.Count];
        Array.Fill(newLabel, -1);
        var keptNames = new List<string>(labelNames.Count);
        var keptInstance = new int[instanceNames.Count];
        int keptInstances = 0;
        for (int i = 0; i < instanceNames.Count; i++) keptInstance[i] = bad[i] ? -1 : keptInstances++;
        var counts = new int[keptInstances];
        for (int p = 0; p < pairInstance.Count; p++)
        {
            int k = keptInstance[pairInstance[p]];
            if (k < 0) continue;
            counts[k]++;
            if (newLabel[pairLabel[p]] < 0)
            {
                newLabel[pairLabel[p]] = keptNames.Count;
                keptNames.Add(labelNames[pairLabel[p]]);
            }
        }
        // Read whole at opening, so an empty file is known before any verb sizes its work by the (empty) vocabulary.
        if (keptInstances == 0) throw NoInstances();
        rows = new int[keptInstances][];
        ids = new string[keptInstances];
        for (int i = 0; i < instanceNames.Count; i++)
        {
            if (keptInstance[i] < 0) continue;
            rows[keptInstance[i]] = new int[counts[keptInstance[i]]];
            ids[keptInstance[i]] = instanceNames[i];
        }
        Array.Clear(counts);
        for (int p = 0; p < pairInstance.Count; p++)
        {
            int k = keptInstance[pairInstance[p]];
            if (k >= 0) rows[k][counts[k]++] = newLabel[pairLabel[p]];
        }
        vocabulary = new LabelVocabulary(keptNames);
    }

    /// <inheritdoc />
    public override LabelVocabulary Vocabulary => vocabulary;

    /// <inheritdoc />
    public override long BytesRead => TotalBytes;

    /// <inheritdoc />
    protected override IEnumerable<AnnotationChunk> ReadInstances(int chunkSize)
    {
        return ChunkBuilder.FromRows(rows, ids, vocabulary.Count, chunkSize, Accepted);
    }

    static IEnumerable<string> Fields(CsvRecordReader csv)
    {
        for (int i = 0; i < csv.FieldCount; i++) yield return csv.GetString(i);
    }
}
