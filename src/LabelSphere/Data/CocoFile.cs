using System.Text.Json;

namespace LabelSphere.Data;

/// <summary>A defect of one COCO record: the property (<c>id</c>, <c>category_id</c>...), its line and what is wrong.</summary>
internal readonly record struct CocoDefect(string Property, long Line, string Problem);

/// <summary>One entry of a COCO <c>images</c> array; <see cref="Defect"/> is set when a required property is missing or ill-typed.</summary>
internal struct CocoImage
{
    /// <summary>The image id.</summary>
    public long Id;
    /// <summary>The image file name, or null when missing.</summary>
    public string? FileName;
    /// <summary>Line on which the entry starts.</summary>
    public long Line;
    /// <summary>The first thing wrong with the entry, if any.</summary>
    public CocoDefect? Defect;
}

/// <summary>One entry of a COCO <c>annotations</c> array: the image it belongs to and its category or caption.</summary>
internal struct CocoAnnotation
{
    /// <summary>The <c>image_id</c>, or null when missing or not an integer (see <see cref="ImageIdDefect"/>).</summary>
    public long? ImageId;
    /// <summary>The <c>category_id</c> (instances files).</summary>
    public long CategoryId;
    /// <summary>The <c>caption</c> (captions files).</summary>
    public string? Caption;
    /// <summary>Line on which the entry starts.</summary>
    public long Line;
    /// <summary>Line of the <c>image_id</c> property.</summary>
    public long ImageIdLine;
    /// <summary>Line of the <c>category_id</c> or <c>caption</c> property.</summary>
    public long ValueLine;
    /// <summary>What is wrong with <c>image_id</c>, if anything.</summary>
    public CocoDefect? ImageIdDefect;
    /// <summary>What is wrong with <c>category_id</c> or <c>caption</c>, if anything.</summary>
    public CocoDefect? ValueDefect;
}

/// <summary>One entry of a COCO <c>categories</c> array.</summary>
internal struct CocoCategory
{
    /// <summary>The category id.</summary>
    public long Id;
    /// <summary>The category name, or null when missing.</summary>
    public string? Name;
    /// <summary>Line on which the entry starts.</summary>
    public long Line;
    /// <summary>The first thing wrong with the entry, if any.</summary>
    public CocoDefect? Defect;
}

/// <summary>What an annotation of a COCO file carries besides its <c>image_id</c>.</summary>
internal enum CocoAnnotationKind
{
    /// <summary>Instances files: <c>category_id</c>.</summary>
    Category,
    /// <summary>Captions files: <c>caption</c>.</summary>
    Caption,
}

/// <summary>
/// The parts of a COCO annotation file LabelSphere uses (images, annotations, categories), read token by token
/// from the file so that only these parts are held; everything else (segmentations, licences) is skipped.
/// </summary>
internal sealed class CocoFile
{
    /// <summary>The <c>images</c> array in file order, or null when the file has none.</summary>
    public List<CocoImage>? Images { get; private set; }

    /// <summary>The <c>annotations</c> array in file order, or null when the file has none.</summary>
    public List<CocoAnnotation>? Annotations { get; private set; }

    /// <summary>The <c>categories</c> array in file order, or null when the file has none.</summary>
    public List<CocoCategory>? Categories { get; private set; }

    /// <summary>Line of the top-level property <c>images</c> (1 when absent).</summary>
    public long ImagesLine { get; private set; } = 1;

    /// <summary>Reads <paramref name="path"/>; malformed JSON or a top-level part of the wrong shape throws an
    /// <see cref="AnnotationFormatException"/>.</summary>
    public static CocoFile Read(string path, CocoAnnotationKind kind)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var file = new CocoFile();
        try
        {
            var cursor = new JsonCursor(stream);
            if (!cursor.Read() || cursor.TokenType != JsonTokenType.StartObject)
                throw Error(path, 1, "json", "the file does not hold a JSON object");
            while (cursor.Read() && cursor.TokenType == JsonTokenType.PropertyName)
            {
                if (cursor.NameIs("images"u8))
                {
                    file.ImagesLine = cursor.Line;
                    file.Images = ReadArray(ref cursor, path, "images", ReadImage);
                }
                else if (cursor.NameIs("annotations"u8))
                {
                    file.Annotations = kind == CocoAnnotationKind.Category
                        ? ReadArray(ref cursor, path, "annotations", ReadInstanceAnnotation)
                        : ReadArray(ref cursor, path, "annotations", ReadCaptionAnnotation);
                }
                else if (cursor.NameIs("categories"u8))
                {
                    file.Categories = ReadArray(ref cursor, path, "categories", ReadCategory);
                }
                else
                {
                    cursor.Skip();
                }
            }
        }
        catch (JsonException e)
        {
            throw Error(path, (e.LineNumber ?? 0) + 1, "json", $"malformed JSON: {IO.JsonFileError.Problem(e)}");
        }
        return file;
    }

    delegate T ReadEntry<T>(ref JsonCursor cursor, long line);

    static List<T> ReadArray<T>(ref JsonCursor cursor, string path, string name, ReadEntry<T> read)
    {
        cursor.Read();
        if (cursor.TokenType != JsonTokenType.StartArray)
            throw Error(path, cursor.Line, name, $"'{name}' must be an array");
        var list = new List<T>();
        while (cursor.Read() && cursor.TokenType != JsonTokenType.EndArray)
        {
            long line = cursor.Line;
            if (cursor.TokenType != JsonTokenType.StartObject)
                throw Error(path, line, $"{name}[{list.Count}]", "must be an object");
            list.Add(read(ref cursor, line));
        }
        return list;
    }

    static CocoImage ReadImage(ref JsonCursor cursor, long line)
    {
        var image = new CocoImage { Line = line };
        bool hasId = false;
        while (cursor.Read() && cursor.TokenType == JsonTokenType.PropertyName)
        {
            if (cursor.NameIs("id"u8))
            {
                hasId = ReadId(ref cursor, "id", out image.Id, ref image.Defect);
            }
            else if (cursor.NameIs("file_name"u8))
            {
                image.FileName = ReadString(ref cursor, "file_name", ref image.Defect);
            }
            else
            {
                cursor.Skip();
            }
        }
        if (!hasId) image.Defect ??= new CocoDefect("id", line, "the image has no 'id'");
        if (image.FileName is null) image.Defect ??= new CocoDefect("file_name", line, "the image has no 'file_name'");
        return image;
    }

    static CocoAnnotation ReadInstanceAnnotation(ref JsonCursor cursor, long line) =>
        ReadAnnotation(ref cursor, line, CocoAnnotationKind.Category);

    static CocoAnnotation ReadCaptionAnnotation(ref JsonCursor cursor, long line) =>
        ReadAnnotation(ref cursor, line, CocoAnnotationKind.Caption);

    static CocoAnnotation ReadAnnotation(ref JsonCursor cursor, long line, CocoAnnotationKind kind)
    {
        var annotation = new CocoAnnotation { Line = line, ImageIdLine = line, ValueLine = line };
        bool hasValue = false;
        while (cursor.Read() && cursor.TokenType == JsonTokenType.PropertyName)
        {
            if (cursor.NameIs("image_id"u8))
            {
                annotation.ImageIdLine = cursor.Line;
                if (ReadId(ref cursor, "image_id", out var id, ref annotation.ImageIdDefect)) annotation.ImageId = id;
            }
            else if (kind == CocoAnnotationKind.Category && cursor.NameIs("category_id"u8))
            {
                annotation.ValueLine = cursor.Line;
                hasValue = ReadId(ref cursor, "category_id", out annotation.CategoryId, ref annotation.ValueDefect);
            }
            else if (kind == CocoAnnotationKind.Caption && cursor.NameIs("caption"u8))
            {
                annotation.ValueLine = cursor.Line;
                annotation.Caption = ReadString(ref cursor, "caption", ref annotation.ValueDefect);
                hasValue = annotation.Caption is not null;
            }
            else
            {
                cursor.Skip();
            }
        }
        if (annotation.ImageId is null)
            annotation.ImageIdDefect ??= new CocoDefect("image_id", line, "the annotation has no 'image_id'");
        if (!hasValue)
        {
            var property = kind == CocoAnnotationKind.Category ? "category_id" : "caption";
            annotation.ValueDefect ??= new CocoDefect(property, line, $"the annotation has no '{property}'");
        }
        return annotation;
    }

    static CocoCategory ReadCategory(ref JsonCursor cursor, long line)
    {
        var category = new CocoCategory { Line = line };
        bool hasId = false;
        while (cursor.Read() && cursor.TokenType == JsonTokenType.PropertyName)
        {
            if (cursor.NameIs("id"u8)) hasId = ReadId(ref cursor, "id", out category.Id, ref category.Defect);
            else if (cursor.NameIs("name"u8)) category.Name = ReadString(ref cursor, "name", ref category.Defect);
            else cursor.Skip();
        }
        if (!hasId) category.Defect ??= new CocoDefect("id", line, "the category has no 'id'");
        if (string.IsNullOrEmpty(category.Name)) category.Defect ??= new CocoDefect("name", line, "the category has no 'name'");
        return category;
    }

    /// <summary>Reads the integer value of the current property; records a defect (keeping the first) when it is not one.</summary>
    static bool ReadId(ref JsonCursor cursor, string property, out long value, ref CocoDefect? defect)
    {
        long line = cursor.Line;
        cursor.Read();
        if (cursor.TryGetInt64(out value)) return true;
        defect ??= new CocoDefect(property, line, $"'{Describe(ref cursor)}' is not an integer id");
        cursor.Skip();
        return false;
    }

    static string? ReadString(ref JsonCursor cursor, string property, ref CocoDefect? defect)
    {
        long line = cursor.Line;
        cursor.Read();
        if (cursor.TokenType == JsonTokenType.String) return cursor.GetString();
        defect ??= new CocoDefect(property, line, $"'{Describe(ref cursor)}' is not a string");
        cursor.Skip();
        return null;
    }

    static string Describe(ref JsonCursor cursor) => cursor.TokenType switch
    {
        JsonTokenType.StartObject => "{...}",
        JsonTokenType.StartArray => "[...]",
        JsonTokenType.Null => "null",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        _ => cursor.RawText(),
    };

    static AnnotationFormatException Error(string path, long line, string field, string problem) =>
        new(new AnnotationError(path, line, field, problem));
}
