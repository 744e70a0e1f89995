using LabelSphere.Data;

namespace LabelSphere.Training.Images;

/// <summary>A folder of images as instances without labels, for tagging photos that no annotation file lists.</summary>
public static class ImageFolder
{
    /// <summary>File extensions taken as images (case-insensitive): those SkiaSharp decodes.</summary>
    public static readonly IReadOnlySet<string> Extensions =
        new HashSet<string>([".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".ico", ".wbmp", ".heic", ".heif", ".avif"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Every image file at the top of <paramref name="folder"/> (by <see cref="Extensions"/>), by ordinal name, as
    /// unlabelled instances named by their file names; an <see cref="ImageSource"/> over it with the same folder
    /// reads them. Throws when the folder holds no image.
    /// </summary>
    public static AnnotationSet Annotations(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: no such folder");
        var names = Directory.EnumerateFiles(folder)
            .Where(f => Extensions.Contains(Path.GetExtension(f)))
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (names.Length == 0)
            throw new ArgumentException($"{folder}: holds no image file ({string.Join(", ", Extensions.Order(StringComparer.Ordinal))})");
        var labels = new LabelMatrix(new long[names.Length + 1], [], 0);
        // The instances come from no file with lines: errors name the folder itself (ImageLocator finds no line in it).
        var report = new ReadReport(Path.GetFullPath(folder), AnnotationFormat.Text, names.Length, names.Length, 0, []);
        return new AnnotationSet(new LabelVocabulary([]), labels, report, instanceIds: names!);
    }
}
