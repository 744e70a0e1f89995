namespace LabelSphere.Data;

/// <summary>Opens and reads annotation files of every supported format.</summary>
public static class AnnotationReader
{
    /// <summary>Opens <paramref name="path"/> for chunked reading, detecting the format unless options name it.</summary>
    internal static AnnotationStream Open(string path, ReaderOptions? options = null)
    {
        options ??= new ReaderOptions();
        if (Pack.IsPack(path))
            throw new ArgumentException($"{path}: is a pack, which training and evaluation read a shard at a time; it is not read whole as annotations");
        IO.InputFile.Require(path);
        var format = options.Format ?? FormatDetector.Detect(path, options);
        AnnotationStream stream = format switch
        {
            AnnotationFormat.ExtremeText => new ExtremeTextReader(path, options),
            AnnotationFormat.MulanArff => new MulanArffReader(path, options),
            AnnotationFormat.WideCsv => new WideCsvReader(path, options),
            AnnotationFormat.LongCsv => new LongCsvReader(path, options),
            AnnotationFormat.Libsvm => new LibsvmReader(path, options),
            AnnotationFormat.Text or AnnotationFormat.TextCsv or AnnotationFormat.TextJsonl => new TextAnnotationReader(path, format, options),
            AnnotationFormat.CocoInstances => new CocoInstancesReader(path, options),
            AnnotationFormat.CocoCaptions => new CocoCaptionsReader(path, options),
            _ => throw new ArgumentOutOfRangeException(nameof(options), format, "unknown annotation format"),
        };
        if (stream.Vocabulary.Count > 0) return stream;
        // Readers name the cause where they know it (an XC header's L = 0, captions whose words are all rare); this
        // catches the rest, so that no verb meets an empty vocabulary.
        stream.Dispose();
        throw new AnnotationFormatException(new AnnotationError(path, 0, "labels", "the file has no labels"));
    }

    /// <summary>Reads the whole file into memory.</summary>
    public static AnnotationSet Read(string path, ReaderOptions? options = null)
    {
        using var stream = Open(path, options);
        return Read(stream);
    }

    /// <summary>Reads the rest of an opened stream into memory.</summary>
    internal static AnnotationSet Read(AnnotationStream stream)
    {
        var labels = new LabelMatrixBuilder();
        FeatureMatrixBuilder? features = stream.FeatureCount > 0 ? new FeatureMatrixBuilder() : null;
        List<string>? ids = null;
        List<string>? texts = stream.HasText ? [] : null;
        foreach (var chunk in stream.ReadChunks())
        {
            for (int r = 0; r < chunk.Labels.Rows; r++) labels.AddSortedRow(chunk.Labels.Row(r));
            if (features is not null && chunk.Features is { } f)
            {
                for (int r = 0; r < f.Rows; r++)
                {
                    for (long k = f.Offsets[r]; k < f.Offsets[r + 1]; k++) features.Add(f.Indices[(int)k], f.Values[(int)k]);
                    features.EndRow();
                }
            }
            if (chunk.InstanceIds is { } chunkIds) (ids ??= []).AddRange(chunkIds);
            if (texts is not null && chunk.Texts is { } chunkTexts) texts.AddRange(chunkTexts);
        }
        var labelMatrix = labels.Build(stream.Vocabulary.Count);
        return new AnnotationSet(stream.Vocabulary, labelMatrix, stream.Report,
            features?.Build(stream.FeatureCount, stream.FeatureNames, stream.FeatureCountInferred), ids, Rows(stream.SkippedRows, labelMatrix.Rows),
            texts);
    }

    /// <summary>[kept] the 0-based file row of each instance kept when <paramref name="skipped"/> rows were skipped; null when none was.</summary>
    static int[]? Rows(IReadOnlyList<int> skipped, int kept)
    {
        if (skipped.Count == 0) return null;
        var rows = new int[kept];
        int next = 0, row = 0;
        for (int i = 0; i < kept; i++, row++)
        {
            while (next < skipped.Count && skipped[next] == row)
            {
                next++;
                row++;
            }
            rows[i] = row;
        }
        return rows;
    }
}
