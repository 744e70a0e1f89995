namespace LabelSphere.Data;

/// <summary>
/// Reads a COCO instances file (<c>images</c>, <c>annotations</c> with <c>image_id</c> and <c>category_id</c>,
/// <c>categories</c> with <c>id</c> and <c>name</c>): an image's labels are the names of the categories of its
/// annotations, and an image without annotations is an empty instance. Instances are the images in file order, named
/// by <c>file_name</c>; labels are the categories in file order. The file is read when the stream opens.
/// </summary>
internal sealed class CocoInstancesReader : AnnotationStream
{
    readonly LabelVocabulary vocabulary;
    readonly int[][] rows;
    readonly string[] ids;

    /// <summary>Reads the whole of <paramref name="path"/>.</summary>
    public CocoInstancesReader(string path, ReaderOptions options) : base(path, AnnotationFormat.CocoInstances, options)
    {
        var coco = CocoFile.Read(path, CocoAnnotationKind.Category);
        var images = coco.Images ?? throw Fatal(1, "images", "the file has no 'images' array");
        var annotations = coco.Annotations ?? throw Fatal(1, "annotations", "the file has no 'annotations' array (is it a COCO instances file?)");
        var categories = coco.Categories ?? throw Fatal(1, "categories", "the file has no 'categories' array (is it a COCO instances file?)");

        var categoryLabel = new Dictionary<long, int>(categories.Count);
        var names = new string[categories.Count];
        var nameLine = new Dictionary<string, long>(categories.Count, StringComparer.Ordinal);
        for (int c = 0; c < categories.Count; c++)
        {
            var category = categories[c];
            if (category.Defect is { } d) throw Fatal(d.Line, $"categories[{c}].{d.Property}", d.Problem);
            if (!categoryLabel.TryAdd(category.Id, c))
                throw Fatal(category.Line, $"categories[{c}].id", $"the category id {category.Id} appears twice");
            if (!nameLine.TryAdd(category.Name!, category.Line))
                throw Fatal(category.Line, $"categories[{c}].name", $"the category name '{category.Name}' appears twice (lines {nameLine[category.Name!]} and {category.Line})");
            names[c] = category.Name!;
        }
        vocabulary = new LabelVocabulary(names);

        var index = CocoImages.Index(images, (line, field, problem) => Invalid(line, field, problem), out var bad);
        var perImage = new List<int>?[images.Count];
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
            string? problem = annotation.ValueDefect?.Problem;
            if (problem is null && !categoryLabel.ContainsKey(annotation.CategoryId))
                problem = $"the category id {annotation.CategoryId} is not in 'categories'";
            if (problem is not null)
            {
                // The image would lose a label if kept, so it is dropped whole and counted once.
                bad[image] = true;
                Invalid(annotation.ValueLine, $"annotations[{a}].category_id", problem);
                continue;
            }
            (perImage[image] ??= []).Add(categoryLabel[annotation.CategoryId]);
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

/// <summary>The steps both COCO readers take with the <c>images</c> array.</summary>
internal static class CocoImages
{
    /// <summary>
    /// Maps image ids to positions in <paramref name="images"/>; an entry with a defect or a repeated id is reported
    /// through <paramref name="invalid"/> (line, field, problem) and flagged in <paramref name="bad"/>.
    /// </summary>
    public static Dictionary<long, int> Index(List<CocoImage> images, Action<long, string, string> invalid, out bool[] bad)
    {
        bad = new bool[images.Count];
        var index = new Dictionary<long, int>(images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i];
            if (image.Defect is { } d)
            {
                bad[i] = true;
                invalid(d.Line, $"images[{i}].{d.Property}", d.Problem);
                continue;
            }
            if (!index.TryAdd(image.Id, i))
            {
                bad[i] = true;
                invalid(image.Line, $"images[{i}].id", $"the image id {image.Id} appears twice (images[{index[image.Id]}] and images[{i}])");
            }
        }
        return index;
    }

    /// <summary>The label rows and file names of the images not flagged bad, in file order.</summary>
    public static (int[][] Rows, string[] Ids) Rows(List<CocoImage> images, bool[] bad, List<int>?[] labels)
    {
        int kept = 0;
        foreach (var b in bad) if (!b) kept++;
        var rows = new int[kept][];
        var ids = new string[kept];
        int k = 0;
        for (int i = 0; i < images.Count; i++)
        {
            if (bad[i]) continue;
            rows[k] = labels[i] is { } list ? [.. list] : [];
            ids[k++] = images[i].FileName!;
        }
        return (rows, ids);
    }
}
