using LabelSphere.Data;

namespace LabelSphere.Tests.Data;

public sealed class LongCsvReaderTests
{
    [Fact]
    public void Emoji_labels_have_1896_images_and_4539_keywords()
    {
        // Given the emoji keywords, one (image, keyword) row each
        var path = DatasetPaths.Get("emoji", "labels.csv");
        if (path is null) Assert.Skip(DatasetPaths.Missing);

        // When the file is read
        var set = AnnotationReader.Read(path);

        // Then the counts match awk over the file (no quoted fields in it): 1,896 distinct images, 4,539 distinct
        // keywords, 13,474 rows, all distinct pairs (sort -u)
        Assert.Equal(AnnotationFormat.LongCsv, set.Report.Format);
        Assert.Equal(1896, set.Count);
        Assert.Equal(4539, set.Vocabulary.Count);
        Assert.Equal(13474, set.Labels.NonZeros);
        Assert.Equal("0023-fe0f-20e3.png", set.InstanceIds![0]);
        Assert.Equal("blue-square", set.Vocabulary[0]);
    }

    [Fact]
    public void Rows_are_grouped_by_instance_in_first_seen_order()
    {
        // Given rows of one image apart, a quoted label holding a comma and a quote, and a repeated pair
        using var folder = new TempFolder();
        var path = folder.Write("long.csv", "image,label\nb.png,cat\na.png,\"dog, \"\"big\"\"\"\nb.png,sky\nb.png,cat\na.png,cat\n");

        // When it is read
        var set = AnnotationReader.Read(path);

        // Then instances and labels keep first-seen order and each pair counts once
        Assert.Equal(["b.png", "a.png"], set.InstanceIds);
        Assert.Equal(["cat", "dog, \"big\"", "sky"], set.Vocabulary.Names);
        Assert.Equal([["cat", "sky"], ["cat", "dog, \"big\""]], Sets.LabelNames(set));
    }

    [Fact]
    public void A_quoted_label_may_span_lines_and_errors_keep_their_line_numbers()
    {
        // Given a label with a line break inside quotes, followed by a row with an empty label
        using var folder = new TempFolder();
        var path = folder.Write("long.csv", "image,label\na,\"two\nlines\"\nb,\n");

        // When it is read
        var error = Sets.ErrorOf(path, AnnotationFormat.LongCsv);
        var set = Sets.Read(path, AnnotationFormat.LongCsv, skipInvalid: true);

        // Then the bad row is on line 4, and the quoted label is kept whole
        Assert.Equal((4L, "label"), (error.Line, error.Field));
        Assert.Equal(["two\nlines"], set.Vocabulary.Names);
    }

    [Theory]
    [InlineData("b.png", "label", "the row has no label column")]
    [InlineData("b.png,", "label", "the label is empty")]
    [InlineData(",cat", "image", "the instance id is empty")]
    [InlineData("b.png,cat,dog", "row", "expected 2 cells, found 3 (quote a label that holds a comma)")]
    [InlineData("b.png,\"cat", "row", "the row ends inside a quoted field (truncated file?)")]
    public void A_bad_row_names_file_line_and_column(string row, string field, string problem)
    {
        // Given a bad row on line 3
        using var folder = new TempFolder();
        var path = folder.Write("long.csv", $"image,label\na.png,cat\n{row}\n");

        // When it is read
        var error = Sets.ErrorOf(path, AnnotationFormat.LongCsv);

        // Then the error points at it
        Assert.Equal((path, 3L, field, problem), (error.Path, error.Line, error.Field, error.Problem));
    }

    [Fact]
    public void Skipping_invalid_rows_drops_the_whole_instance_and_counts_it_once()
    {
        // Given image b with a good row, then two rows with empty labels; "dog" appears only on b
        using var folder = new TempFolder();
        var path = folder.Write("long.csv", "image,label\na,cat\nb,dog\nb,\nc,sky\nb,\n");

        // When it is read skipping invalid rows
        var set = Sets.Read(path, AnnotationFormat.LongCsv, skipInvalid: true);

        // Then b is gone with its labels, and counted once
        Assert.Equal(["a", "c"], set.InstanceIds);
        Assert.Equal(["cat", "sky"], set.Vocabulary.Names);
        Assert.Equal(1, set.Report.SkippedInvalid);
    }

    [Fact]
    public void A_header_without_two_columns_is_fatal()
    {
        // Given a header of three columns read as long CSV
        using var folder = new TempFolder();
        var path = folder.Write("long.csv", "image,label,score\na,cat,1\n");

        // When it is opened
        var error = Assert.Throws<AnnotationFormatException>(() =>
            AnnotationReader.Open(path, new ReaderOptions { Format = AnnotationFormat.LongCsv, SkipInvalid = true })).Error;

        // Then the header is named
        Assert.Equal((1L, "header"), (error.Line, error.Field));
    }
}
