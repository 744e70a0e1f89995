using LabelSphere.Data;

namespace LabelSphere.Training.Images;

/// <summary>
/// Finds where an annotation file names an image, for error messages: the first CSV row whose first field is the
/// image (its line and the column's header), or the COCO <c>images</c> entry with that <c>file_name</c>. The file is
/// scanned once, on the first error, since well-formed data never needs it.
/// </summary>
internal sealed class ImageLocator(string path, AnnotationFormat format)
{
    readonly Lazy<Dictionary<string, (long Line, string Field)>> places = new(() => Scan(path, format));

    /// <summary>The annotation file.</summary>
    public string Path => path;

    /// <summary>An error at the place that names <paramref name="image"/> (line 1 and field "image" if none does; line 0, the folder as a whole, for a folder of images).</summary>
    public AnnotationError Error(string image, string problem) =>
        places.Value.TryGetValue(image, out var place)
            ? new AnnotationError(path, place.Line, place.Field, problem)
            : new AnnotationError(path, Directory.Exists(path) ? 0 : 1, "image", problem);

    static Dictionary<string, (long, string)> Scan(string path, AnnotationFormat format)
    {
        var found = new Dictionary<string, (long, string)>(StringComparer.Ordinal);
        switch (format)
        {
            case AnnotationFormat.LongCsv:
            case AnnotationFormat.WideCsv:
            {
                using var source = new LineSource(path);
                var csv = new CsvRecordReader(source);
                if (!csv.Read()) break;
                var column = csv.FieldCount > 0 && csv.GetString(0).Trim() is { Length: > 0 } header ? header : "image";
                while (csv.Read())
                {
                    if (csv.FieldCount == 0) continue;
                    found.TryAdd(csv[0].Trim().ToString(), (csv.Line, column));
                }
                break;
            }
            case AnnotationFormat.CocoInstances:
            case AnnotationFormat.CocoCaptions:
            {
                var coco = CocoFile.Read(path, format == AnnotationFormat.CocoInstances ? CocoAnnotationKind.Category : CocoAnnotationKind.Caption);
                var images = coco.Images ?? [];
                for (int i = 0; i < images.Count; i++)
                    if (images[i].FileName is { } name) found.TryAdd(name, (images[i].Line, $"images[{i}].file_name"));
                break;
            }
        }
        return found;
    }
}
