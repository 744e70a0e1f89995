using System.Text;
using System.Text.Json;
using LabelSphere.Data;

namespace LabelSphere.Tests.Data;

public sealed class CocoInstancesReaderTests
{
    // Line numbers matter: annotations[1] starts on line 9, its category_id is on line 10.
    const string Tiny = """
        {"info": {"year": 2017}, "images": [
          {"id": 1, "file_name": "one.jpg", "width": 640},
          {"id": 2, "file_name": "two.jpg"},
          {"id": 3, "file_name": "three.jpg"}
        ],
        "annotations": [
          {"image_id": 1, "category_id": 18, "segmentation": [[1.5, 2, 3, 4]], "bbox": [0, 0, 1, 1],
           "id": 100},
          {"image_id": 1,
           "category_id": 1, "segmentation": {"counts": [1, 2], "size": [3, 4]}, "id": 101},
          {"image_id": 3, "category_id": 18, "id": 102},
          {"image_id": 1, "category_id": 18, "id": 103}
        ],
        "categories": [{"id": 1, "name": "person", "supercategory": "person"}, {"id": 18, "name": "dog"}]}
        """;

    [Fact]
    public void Coco_tiny_train_has_80_images_and_80_categories()
    {
        // Given the tiny COCO 2017 train instances file
        var path = DatasetPaths.Get("coco", "tiny", "annotations", "instances_train2017.json");
        if (path is null) Assert.Skip(DatasetPaths.Missing);

        // When it is read
        var set = AnnotationReader.Read(path);

        // Then the shape matches python's json module: 80 images, 80 categories, 705 annotations giving 302 distinct
        // (image, category) pairs, no image without annotations; the first image holds carrot, person, umbrella
        Assert.Equal(AnnotationFormat.CocoInstances, set.Report.Format);
        Assert.Equal(80, set.Count);
        Assert.Equal(80, set.Vocabulary.Count);
        Assert.Equal(302, set.Labels.NonZeros);
        Assert.Equal(0, set.Report.EmptyInstances);
        Assert.Equal("000000262145.jpg", set.InstanceIds![0]);
        Assert.Equal(["carrot", "person", "umbrella"], Sets.LabelNames(set)[0]);
        Assert.Equal("person", set.Vocabulary[0]);
    }

    [Fact]
    public void A_tiny_file_gives_category_names_per_image_and_empty_images()
    {
        // Given three images, one without annotations, and annotations with segmentations to skip
        using var folder = new TempFolder();
        var path = folder.Write("instances.json", Tiny);

        // When it is read
        var set = Sets.Read(path, AnnotationFormat.CocoInstances);

        // Then labels are category names in category order and every image is an instance
        Assert.Equal(["person", "dog"], set.Vocabulary.Names);
        Assert.Equal(["one.jpg", "two.jpg", "three.jpg"], set.InstanceIds);
        Assert.Equal([["dog", "person"], [], ["dog"]], Sets.LabelNames(set));
        Assert.Equal(1, set.Report.EmptyInstances);
    }

    [Fact]
    public void An_unknown_category_names_the_annotation_field_and_its_line()
    {
        // Given annotations[1] pointing at category 7, which is not listed
        using var folder = new TempFolder();
        var path = folder.Write("instances.json", Tiny.Replace("\"category_id\": 1,", "\"category_id\": 7,"));

        // When it is read
        var error = Sets.ErrorOf(path, AnnotationFormat.CocoInstances);

        // Then the error names the file, the line of category_id and the field
        Assert.Equal((path, 10L, "annotations[1].category_id"), (error.Path, error.Line, error.Field));
        Assert.Equal("the category id 7 is not in 'categories'", error.Problem);
    }

    [Fact]
    public void An_unknown_image_names_the_annotation_field()
    {
        // Given annotations[2] pointing at image 9
        using var folder = new TempFolder();
        var path = folder.Write("instances.json", Tiny.Replace("\"image_id\": 3,", "\"image_id\": 9,"));

        // When it is read
        var error = Sets.ErrorOf(path, AnnotationFormat.CocoInstances);

        // Then the error names annotations[2].image_id on line 11
        Assert.Equal((11L, "annotations[2].image_id"), (error.Line, error.Field));
    }

    [Theory]
    [InlineData("{\"id\": 2, \"file_name\": \"two.jpg\"}", "{\"id\": 2}", "images[1].file_name", 3L)]
    [InlineData("{\"image_id\": 3, \"category_id\": 18, \"id\": 102}", "{\"image_id\": 3, \"id\": 102}", "annotations[2].category_id", 11L)]
    [InlineData("{\"image_id\": 3, \"category_id\": 18, \"id\": 102}", "{\"image_id\": \"3\", \"category_id\": 18}", "annotations[2].image_id", 11L)]
    public void A_missing_or_ill_typed_property_is_named(string from, string to, string field, long line)
    {
        // Given a fixture with one required property removed or of the wrong type
        using var folder = new TempFolder();
        var text = Tiny.Replace(from, to);
        Assert.NotEqual(Tiny, text);
        var path = folder.Write("instances.json", text);

        // When it is read
        var error = Sets.ErrorOf(path, AnnotationFormat.CocoInstances);

        // Then the error names the property and its line
        Assert.Equal((line, field), (error.Line, error.Field));
    }

    [Fact]
    public void Skipping_invalid_annotations_drops_their_image_whole_and_counts_it_once()
    {
        // Given image 1 with one annotation of an unknown category among good ones
        using var folder = new TempFolder();
        var path = folder.Write("instances.json", Tiny.Replace("\"category_id\": 1,", "\"category_id\": 7,"));

        // When it is read skipping invalid instances
        var set = Sets.Read(path, AnnotationFormat.CocoInstances, skipInvalid: true);

        // Then image 1 is gone entirely, counted once
        Assert.Equal(["two.jpg", "three.jpg"], set.InstanceIds);
        Assert.Equal([[], ["dog"]], Sets.LabelNames(set));
        Assert.Equal(1, set.Report.SkippedInvalid);
    }

    [Theory]
    [InlineData("{\"images\": [], \"annotations\": []}", "categories")]
    [InlineData("{\"images\": {}, \"annotations\": [], \"categories\": []}", "images")]
    [InlineData("[1, 2]", "json")]
    [InlineData("{\"images\": [", "json")]
    public void A_file_without_the_coco_parts_is_fatal(string text, string field)
    {
        // Given a JSON file that is not a complete COCO instances file
        using var folder = new TempFolder();
        var path = folder.Write("broken.json", text);

        // When it is opened skipping invalid instances
        var error = Assert.Throws<AnnotationFormatException>(() =>
            AnnotationReader.Open(path, new ReaderOptions { Format = AnnotationFormat.CocoInstances, SkipInvalid = true })).Error;

        // Then the error names the missing part
        Assert.Equal((path, field), (error.Path, error.Field));
    }

    [Fact]
    public void The_json_cursor_gives_the_same_tokens_and_lines_whatever_its_buffer_size()
    {
        // Given the fixture, read with a 16-byte buffer (many refills, tokens split across them) and with a large one
        var bytes = Encoding.UTF8.GetBytes("\uFEFF" + Tiny);

        // When every token and its line are listed
        var small = Tokens(bytes, 16);
        var large = Tokens(bytes, 1 << 16);

        // Then both lists agree, and the last token is on the fixture's last line
        Assert.Equal(large, small);
        Assert.Equal(Tiny.Split('\n').Length, large[^1].Line);
    }

    static List<(JsonTokenType Type, long Line)> Tokens(byte[] bytes, int bufferSize)
    {
        var list = new List<(JsonTokenType, long)>();
        var cursor = new JsonCursor(new MemoryStream(bytes), bufferSize);
        while (cursor.Read()) list.Add((cursor.TokenType, cursor.Line));
        return list;
    }
}
