using LabelSphere.Data;
using LabelSphere.IO;

namespace LabelSphere.Tests.Data;

/// <summary>
/// What every reader refuses the same way: files without instances or labels, folders given as files, rows that
/// say one thing twice; and how file text is quoted in messages.
/// </summary>
public sealed class ReaderValidationTests
{
    const string LabelXml = """
        <?xml version="1.0" encoding="utf-8"?>
        <labels xmlns="http://mulan.sourceforge.net/labels"><label name="sky"></label><label name="sea"></label></labels>
        """;

    const string ArffHeader = "@relation r\n@attribute size numeric\n@attribute sky {0,1}\n@attribute sea {0,1}\n@data\n";

    [Theory]
    [InlineData("data.txt", "0 3 2\n")]
    [InlineData("tags.arff", ArffHeader)]
    [InlineData("wide.csv", "image,sky,sea\n")]
    [InlineData("long.csv", "image,label\n")]
    public void A_file_without_instances_is_refused_by_every_format(string name, string text)
    {
        // Given a file that stops after its header
        using var folder = new TempFolder();
        var path = folder.Write(name, text);
        folder.Write("tags.xml", LabelXml);

        // When it is read
        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationReader.Read(path)).Error;

        // Then the error names the file as a whole and the instances
        Assert.Equal((path, 0L, "instances"), (error.Path, error.Line, error.Field));
        Assert.Equal($"{path}: instances: the file holds no instances", error.ToString());
    }

    [Fact]
    public void A_file_whose_every_instance_is_skipped_says_so_and_quotes_the_first_defect()
    {
        using var folder = new TempFolder();
        var path = folder.Write("data.txt", "2 3 2\n5 0:1\n0 9:1\n");

        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationReader.Read(path, new ReaderOptions { SkipInvalid = true })).Error;

        Assert.Equal("instances", error.Field);
        Assert.Contains("no valid instance: all 2 were skipped as invalid", error.Problem);
        Assert.Contains($"{path}:2: labels: label id 5 is past the header's label count 2", error.Problem);
    }

    [Theory]
    [InlineData("2 3 0\n 0:1\n 1:1\n", "L = 0")]
    [InlineData("2 3 99999999999\n0 0:1\n1 1:1\n", "the label count 99999999999 is larger than 2,147,483,647")]
    [InlineData("2 99999999999 3\n0 0:1\n1 1:1\n", "the feature count 99999999999 is larger")]
    public void An_extreme_text_header_with_no_labels_or_a_count_too_large_is_named_at_line_1(string text, string problem)
    {
        // Given XC headers that are three integers but cannot be read (detection still sees an XC file)
        using var folder = new TempFolder();
        var path = folder.Write("data.txt", text);

        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationReader.Open(path)).Error;

        Assert.Equal((1L, "header"), (error.Line, error.Field));
        Assert.Contains(problem, error.Problem);
    }

    [Fact]
    public void A_folder_given_as_the_file_is_called_a_folder()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "tags.csv");
        Directory.CreateDirectory(path);

        var error = Assert.Throws<FileNotFoundException>(() => AnnotationReader.Open(path));

        Assert.Equal($"{path}: is a folder, not a file", error.Message);
    }

    [Fact]
    public void Captions_with_no_word_on_enough_images_name_the_minimum_word_count_setting()
    {
        using var folder = new TempFolder();
        var path = folder.Write("captions.json", """
            {"images": [{"id": 1, "file_name": "a.jpg"}, {"id": 2, "file_name": "b.jpg"}],
             "annotations": [{"id": 1, "image_id": 1, "caption": "dog runs"}, {"id": 2, "image_id": 2, "caption": "dog sleeps"}]}
            """);

        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationReader.Open(path, new ReaderOptions { MinWordCount = 3 })).Error;

        Assert.Equal(nameof(ReaderOptions.MinWordCount), error.Setting);
        Assert.Contains("no caption word is on at least 3 images (the most common is on 2)", error.Problem);
    }

    [Fact]
    public void A_feature_given_twice_on_an_extreme_text_line_is_invalid_and_skippable()
    {
        // Given a line that gives feature 1 twice, with two values
        using var folder = new TempFolder();
        var path = folder.Write("data.txt", "3 5 2\n0 1:0.5 3:1 1:2\n1 2:1\n0,1 1:1 4:1\n");

        // When it is read, it stops there; when skipping, that line alone is dropped and counted
        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationReader.Read(path)).Error;
        var skipped = AnnotationReader.Read(path, new ReaderOptions { SkipInvalid = true });

        Assert.Equal((2L, "features"), (error.Line, error.Field));
        Assert.Contains("feature 1 is given twice", error.Problem);
        Assert.Equal((2, 1), (skipped.Count, skipped.Report.SkippedInvalid));
        Assert.Equal(2, skipped.Features!.Offsets[2] - skipped.Features.Offsets[1]);
    }

    [Fact]
    public void An_attribute_index_given_twice_in_a_sparse_arff_row_is_invalid_and_skippable()
    {
        using var folder = new TempFolder();
        var path = folder.Write("tags.arff", ArffHeader + "{0 1,1 1}\n{0 3,2 1,0 4}\n{2 1}\n");
        folder.Write("tags.xml", LabelXml);

        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationReader.Read(path)).Error;
        var skipped = AnnotationReader.Read(path, new ReaderOptions { SkipInvalid = true });

        Assert.Equal((7L, "index"), (error.Line, error.Field));
        Assert.Contains("attribute index 0 ('size') is given twice", error.Problem);
        Assert.Equal((2, 1), (skipped.Count, skipped.Report.SkippedInvalid));
    }

    [Theory]
    [InlineData("{0,1,2}")]
    [InlineData("{yes,no}")]
    [InlineData("{1}")]
    public void A_label_attribute_that_is_not_binary_is_fatal(string values)
    {
        using var folder = new TempFolder();
        var path = folder.Write("tags.arff", $"@relation r\n@attribute size numeric\n@attribute sky {values}\n@attribute sea {{0,1}}\n@data\n1,1,0\n");
        folder.Write("tags.xml", LabelXml);

        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationReader.Open(path, new ReaderOptions { SkipInvalid = true })).Error;

        Assert.Equal((3L, "sky"), (error.Line, error.Field));
        Assert.Contains($"is declared {values}", error.Problem);
    }

    [Fact]
    public void A_label_attribute_declared_one_zero_is_binary()
    {
        using var folder = new TempFolder();
        var path = folder.Write("tags.arff", "@relation r\n@attribute size numeric\n@attribute sky {1,0}\n@attribute sea {0,1}\n@data\n1,1,0\n");
        folder.Write("tags.xml", LabelXml);

        Assert.Equal(1, AnnotationReader.Read(path).Count);
    }

    [Fact]
    public void A_second_row_for_an_instance_of_a_wide_csv_is_invalid_and_skippable()
    {
        using var folder = new TempFolder();
        var path = folder.Write("wide.csv", "image,sky,sea\na.jpg,1,0\nb.jpg,0,1\na.jpg,1,1\n");

        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationReader.Read(path)).Error;
        var skipped = AnnotationReader.Read(path, new ReaderOptions { SkipInvalid = true });

        Assert.Equal((4L, "image"), (error.Line, error.Field));
        Assert.Contains("'a.jpg' already has a row (line 2)", error.Problem);
        Assert.Equal(["a.jpg", "b.jpg"], skipped.InstanceIds);
        Assert.Equal(1, skipped.Report.SkippedInvalid);
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("a\nb\tc\u0000d\u001b[2J", @"a\x0Ab\x09c\x00d\x1B[2J")]
    [InlineData("bad \uFFFD byte", @"bad \uFFFD byte")]
    public void Printable_escapes_what_a_terminal_would_act_on(string text, string expected)
    {
        Assert.Equal(expected, Printable.Escape(text));
    }

    [Fact]
    public void Printable_shortens_long_excerpts_without_cutting_an_escape()
    {
        var text = new string('x', 55) + "\u0001\u0002\u0003" + new string('y', 20);

        var excerpt = Printable.Shorten(text);

        Assert.True(excerpt.Length <= Printable.ExcerptLength, excerpt);
        Assert.Equal(new string('x', 55) + "...", excerpt);
        Assert.Equal("short", Printable.Shorten("short"));
    }
}
