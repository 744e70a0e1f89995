namespace LabelSphere.Data;

/// <summary>
/// Tells an annotation file's format from its name and first bytes: <c>.arff</c> is Mulan; <c>.json</c> is COCO
/// captions or instances by whether <c>"caption"</c> or <c>"category_id"</c> comes first; <c>.csv</c> and
/// <c>.csv.gz</c> are long CSV when the header is exactly two columns with the second named <c>label</c>, wide CSV
/// otherwise, unless the header names the text and labels columns (<see cref="ReaderOptions.TextColumn"/>,
/// <see cref="ReaderOptions.LabelsColumn"/>): text CSV; <c>.txt</c> whose first line is three integers is Extreme
/// Classification text, one whose first line is <c>labels f:v ...</c> is LIBSVM, one whose first line holds 2 or 3
/// tab-separated fields is text; <c>.svm</c>, <c>.libsvm</c>, <c>.svmlight</c> are LIBSVM; <c>.tsv</c> is text;
/// <c>.jsonl</c> is text in JSON Lines; these line formats may be gzip-compressed (a further <c>.gz</c>).
/// </summary>
internal static class FormatDetector
{
    /// <summary>The format of <paramref name="path"/>; throws <see cref="AnnotationFormatException"/> when it cannot tell.</summary>
    public static AnnotationFormat Detect(string path, ReaderOptions? options = null)
    {
        options ??= new ReaderOptions();
        var name = System.IO.Path.GetFileName(path);
        // The line formats are read through gzip too.
        var bare = HasExtension(name, ".gz") ? name[..^3] : name;
        if (HasExtension(bare, ".svm") || HasExtension(bare, ".libsvm") || HasExtension(bare, ".svmlight")) return AnnotationFormat.Libsvm;
        if (HasExtension(bare, ".tsv")) return AnnotationFormat.Text;
        if (HasExtension(bare, ".jsonl")) return AnnotationFormat.TextJsonl;
        if (HasExtension(name, ".arff")) return AnnotationFormat.MulanArff;
        if (HasExtension(name, ".json"))
        {
            return ScanJson(path) ?? throw Unknown(path,
                "the JSON holds neither \"caption\" nor \"category_id\" annotations, nor \"categories\"");
        }
        if (HasExtension(name, ".csv") || HasExtension(name, ".csv.gz"))
        {
            using var source = new LineSource(path);
            var csv = new CsvRecordReader(source);
            if (!csv.Read()) throw Unknown(path, "the CSV file is empty");
            var columns = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < csv.FieldCount; i++) columns.Add(csv.GetString(i).Trim());
            if (columns.Contains(options.TextColumn) && columns.Contains(options.LabelsColumn)) return AnnotationFormat.TextCsv;
            if (Embedding.PairCountsFile.IsHeader(csv))
                throw new AnnotationFormatException(new AnnotationError(path, 1, "header",
                    "this is a pair-counts file (label_a,label_b,count): embed reads it in place of annotations, nothing else does"));
            return csv.FieldCount == 2 && csv[1].Trim().SequenceEqual("label") ? AnnotationFormat.LongCsv : AnnotationFormat.WideCsv;
        }
        if (HasExtension(bare, ".txt"))
        {
            using var source = new LineSource(path);
            var first = source.ReadLine();
            if (first is not null && ExtremeTextReader.LooksLikeHeader(first)) return AnnotationFormat.ExtremeText;
            while (first is not null && first.Trim().Length == 0) first = source.ReadLine();
            if (first is not null && LibsvmReader.LooksLikeLine(first)) return AnnotationFormat.Libsvm;
            if (first is not null && first.AsSpan().Count('\t') is 1 or 2) return AnnotationFormat.Text;
            throw Unknown(path, "its first line is neither 'N F L' (three integers), as Extreme Classification text files begin, " +
                "nor 'labels f:v ...' (LIBSVM), nor 'labels<TAB>text' or 'id<TAB>labels<TAB>text' (text)");
        }
        throw Unknown(path, $"the extension of '{name}' is not one LabelSphere knows");
    }

    static bool HasExtension(string name, string extension) => name.EndsWith(extension, StringComparison.OrdinalIgnoreCase);

    /// <summary>Scans the file for the first of <c>"caption"</c>, <c>"category_id"</c> (annotations) or <c>"categories"</c>.</summary>
    static AnnotationFormat? ScanJson(string path)
    {
        ReadOnlySpan<byte> caption = "\"caption\""u8;
        ReadOnlySpan<byte> category = "\"category_id\""u8;
        ReadOnlySpan<byte> categories = "\"categories\""u8;
        const int overlap = 16;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        int carried = 0;
        bool sawCategories = false;
        while (true)
        {
            int n = stream.Read(buffer, carried, buffer.Length - carried);
            if (n == 0) break;
            var window = buffer.AsSpan(0, carried + n);
            int atCaption = window.IndexOf(caption);
            int atCategory = window.IndexOf(category);
            if (atCaption >= 0 && (atCategory < 0 || atCaption < atCategory)) return AnnotationFormat.CocoCaptions;
            if (atCategory >= 0) return AnnotationFormat.CocoInstances;
            sawCategories |= window.IndexOf(categories) >= 0;
            // Keep the tail so that a key split between two reads is still found.
            carried = Math.Min(overlap, window.Length);
            window[^carried..].CopyTo(buffer);
        }
        return sawCategories ? AnnotationFormat.CocoInstances : null;
    }

    static AnnotationFormatException Unknown(string path, string why) => new(new AnnotationError(path, 1, "format",
        $"cannot tell the annotation format: {why}. The formats are ExtremeText (.txt, first line 'N F L'), " +
        "Libsvm (.svm, or .txt with lines 'l1,l2 f:v ...'), Text (.tsv, or .txt with lines 'labels<TAB>text'), TextCsv (.csv " +
        "with text and labels columns), TextJsonl (.jsonl), " +
        "MulanArff (.arff with its label XML), WideCsv (.csv or .csv.gz, header 'image,<label1>,<label2>,...'), " +
        "LongCsv (.csv, header 'image,label'), CocoInstances and CocoCaptions (.json); name the format explicitly")
    {
        Setting = nameof(ReaderOptions.Format),
    });
}
