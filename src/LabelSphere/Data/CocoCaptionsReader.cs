namespace LabelSphere.Data;

/// <summary>
/// Reads a COCO captions file (<c>images</c>, <c>annotations</c> with <c>image_id</c> and <c>caption</c>): an image's
/// labels are the distinct words of all its captions (split as <see cref="CaptionWords"/> describes), minus stop
/// words, keeping only words found on at least <see cref="ReaderOptions.MinWordCount"/> images. Labels are ordered by
/// decreasing number of images, ties alphabetically (ordinal); instances are the images in file order, named by
/// <c>file_name</c>. The file is read when the stream opens.
/// </summary>
internal sealed class CocoCaptionsReader : AnnotationStream
{
    readonly LabelVocabulary vocabulary;
    readonly int[][] rows;
    readonly string[] ids;

    /// <summary>Reads the whole of <paramref name="path"/> and builds the word vocabulary.</summary>
    public CocoCaptionsReader(string path, ReaderOptions options) : base(path, AnnotationFormat.CocoCaptions, options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.MinWordCount, nameof(options.MinWordCount));
        var stopWords = CaptionWords.StopWords(options).GetAlternateLookup<ReadOnlySpan<char>>();
        var coco = CocoFile.Read(path, CocoAnnotationKind.Caption);
        var images = coco.Images ?? throw Fatal(1, "images", "the file has no 'images' array");
        var annotations = coco.Annotations ?? throw Fatal(1, "annotations", "the file has no 'annotations' array (is it a COCO captions file?)");

        var index = CocoImages.Index(images, (line, field, problem) => Invalid(line, field, problem), out var bad);
        var captions = new List<string>?[images.Count];
        for (int a = 0; a < annotations.Count; a++)
        {
            var annotation = annotations[a];
            if (annotation.ImageIdDefect is { } d)
            {
                Invalid(d.Line, $"annotations[{a}].{d.Property}", d.Problem);
                continue;
            }
            if (!index.TryGetValue(annotation.ImageId!.Value, out int image))
            {
                Invalid(annotation.ImageIdLine, $"annotations[{a}].image_id", $"the image id {annotation.ImageId} is not in 'images'");
                continue;
            }
            if (bad[image]) continue;
            if (annotation.ValueDefect is { } v)
            {
                bad[image] = true;
                Invalid(v.Line, $"annotations[{a}].{v.Property}", v.Problem);
                continue;
            }
            (captions[image] ??= []).Add(annotation.Caption!);
        }

        // Words get provisional ids in first-seen order; each kept image's distinct ids are counted once.
        var wordIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var wordLookup = wordIds.GetAlternateLookup<ReadOnlySpan<char>>();
        var imageCounts = new List<int>();
        var perImage = new List<int>?[images.Count];
        var buffer = new char[256];
        var words = new List<int>();
        CaptionWords.WordAction addWord = w =>
        {
            if (stopWords.Contains(w)) return;
            if (!wordLookup.TryGetValue(w, out int id))
            {
                id = wordIds.Count;
                wordLookup[w] = id;
                imageCounts.Add(0);
            }
            words.Add(id);
        };
        for (int i = 0; i < images.Count; i++)
        {
            if (bad[i] || captions[i] is not { } list) continue;
            words.Clear();
            foreach (var caption in list) CaptionWords.Split(caption, ref buffer, addWord);
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(words);
            int distinct = ChunkBuilder.SortDistinct(span);
            var row = new List<int>(distinct);
            foreach (var id in span[..distinct])
            {
                imageCounts[id]++;
                row.Add(id);
            }
            perImage[i] = row;
        }

        var allWords = new string[wordIds.Count];
        foreach (var (w, id) in wordIds) allWords[id] = w;
        var kept = new List<int>();
        for (int id = 0; id < allWords.Length; id++)
            if (imageCounts[id] >= options.MinWordCount) kept.Add(id);
        if (kept.Count == 0 && allWords.Length > 0)
            throw Fatal(0, "labels", $"no caption word is on at least {options.MinWordCount:N0} images (the most common is on " +
                $"{imageCounts.Max():N0}), so no word is kept as a label; lower the minimum word count", nameof(ReaderOptions.MinWordCount));
        kept.Sort((a, b) => imageCounts[a] != imageCounts[b]
            ? imageCounts[b].CompareTo(imageCounts[a])
            : string.CompareOrdinal(allWords[a], allWords[b]));
        var label = new int[allWords.Length];
        Array.Fill(label, -1);
        var names = new string[kept.Count];
        for (int k = 0; k < kept.Count; k++)
        {
            label[kept[k]] = k;
            names[k] = allWords[kept[k]];
        }
        vocabulary = new LabelVocabulary(names);

        for (int i = 0; i < images.Count; i++)
        {
            if (perImage[i] is not { } row) continue;
            int n = 0;
            for (int k = 0; k < row.Count; k++)
                if (label[row[k]] >= 0) row[n++] = label[row[k]];
            row.RemoveRange(n, row.Count - n);
        }
        (rows, ids) = CocoImages.Rows(images, bad, perImage);
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
}
