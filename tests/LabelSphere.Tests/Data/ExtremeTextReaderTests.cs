using LabelSphere.Data;

namespace LabelSphere.Tests.Data;

public sealed class ExtremeTextReaderTests
{
    const string Tiny = "3 5 4\n0,2 1:1 3:2.5\n 0:1\n3\n";

    [Fact]
    public void Stackex_cooking_has_10491_instances_400_labels_and_577_features()
    {
        // Given the StackExchange cooking set with its label names beside it
        var path = DatasetPaths.Get("xc", "stackex_cooking_data.txt");
        if (path is null) Assert.Skip(DatasetPaths.Missing);

        // When it is read with default options
        var set = AnnotationReader.Read(path);

        // Then the shape matches the header and an independent count: awk over the data lines gives
        // 23,340 label ids and 134 lines that start with a space (no labels)
        Assert.Equal(10491, set.Count);
        Assert.Equal(400, set.Vocabulary.Count);
        Assert.Equal(577, set.Features!.Columns);
        Assert.Equal(23340, set.Labels.NonZeros);
        Assert.Equal(134, set.Report.EmptyInstances);
        Assert.Equal(0, set.Report.SkippedInvalid);
        Assert.Equal("tag_acidity", set.Vocabulary[0]);
    }

    [Fact]
    public void A_tiny_file_gives_its_exact_labels_and_features()
    {
        // Given three instances: two labels, none (line starts with a space), one label without features
        using var folder = new TempFolder();
        var path = folder.Write("tiny.txt", Tiny);

        // When it is read
        var set = Sets.Read(path, AnnotationFormat.ExtremeText);

        // Then labels are named by their ids and every row is as written
        Assert.Equal(["0", "1", "2", "3"], set.Vocabulary.Names);
        Assert.Equal([["0", "2"], [], ["3"]], Sets.LabelNames(set));
        var dense = new float[5];
        set.Features!.CopyRowTo(0, dense);
        Assert.Equal([0f, 1f, 0f, 2.5f, 0f], dense);
        set.Features.CopyRowTo(1, dense);
        Assert.Equal([1f, 0f, 0f, 0f, 0f], dense);
        Assert.Equal(1, set.Report.EmptyInstances);
    }

    [Fact]
    public void Label_names_come_from_the_labels_file_beside_the_data_file()
    {
        // Given tiny_data.txt with tiny_labels.txt beside it
        using var folder = new TempFolder();
        var path = folder.Write("tiny_data.txt", Tiny);
        folder.Write("tiny_labels.txt", "salt\npepper\nsugar\nvinegar\n");

        // When it is read
        var set = AnnotationReader.Read(path);

        // Then the labels carry those names
        Assert.Equal(["salt", "pepper", "sugar", "vinegar"], set.Vocabulary.Names);
        Assert.Equal([["salt", "sugar"], [], ["vinegar"]], Sets.LabelNames(set));
    }

    [Fact]
    public void Feature_names_come_from_the_features_file_beside_the_data_file()
    {
        // Given the tiny file with a features file of five names, and a copy whose features file has four
        using var folder = new TempFolder();
        var path = folder.Write("tiny_data.txt", Tiny);
        folder.Write("tiny_features.txt", "a\nb\nc\nd\ne\n");
        var short_ = folder.Write("short_data.txt", Tiny);
        var shortNames = folder.Write("short_features.txt", "a\nb\nc\nd\n");

        // When they are read
        var set = AnnotationReader.Read(path);
        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationReader.Read(short_)).Error;

        // Then the features carry their names, and a count that differs from the header's F names the features file
        Assert.Equal(["a", "b", "c", "d", "e"], set.Features!.Names!);
        Assert.Equal(shortNames, error.Path);
        Assert.Contains("4 feature names for the 5 features", error.Problem);
    }

    [Fact]
    public void Stackex_coffee_features_are_named_by_its_features_file()
    {
        // Given the StackExchange coffee set, whose 1,763 features (the header's F) are named in stackex_coffee_features.txt
        var path = DatasetPaths.Get("xc", "stackex_coffee_data.txt");
        if (path is null) Assert.Skip(DatasetPaths.Missing);

        // When it is read, then every feature has its name
        var set = AnnotationReader.Read(path);
        Assert.Equal(1763, set.Features!.Columns);
        Assert.Equal(1763, set.Features.Names!.Count);
        Assert.Equal("abroad", set.Features.Names[2]);
    }

    [Fact]
    public void A_labels_file_with_the_wrong_number_of_names_is_fatal()
    {
        // Given a labels file with three names for four labels
        using var folder = new TempFolder();
        var path = folder.Write("tiny_data.txt", Tiny);
        var names = folder.Write("tiny_labels.txt", "salt\npepper\nsugar\n");

        // When it is opened, even skipping invalid instances
        var error = Assert.Throws<AnnotationFormatException>(() =>
            AnnotationReader.Open(path, new ReaderOptions { SkipInvalid = true })).Error;

        // Then the error names the labels file and the counts
        Assert.Equal(names, error.Path);
        Assert.Contains("3 label names for the 4 labels", error.Problem);
    }

    [Fact]
    public void A_label_id_past_the_header_count_names_file_line_and_field()
    {
        // Given a second instance with label 4 while the header says 4 labels (ids 0-3)
        using var folder = new TempFolder();
        var path = folder.Write("bad.txt", "2 5 4\n0 1:1\n1,4 2:1\n");

        // When it is read
        var error = Sets.ErrorOf(path, AnnotationFormat.ExtremeText);

        // Then the error points at line 3, the labels, and states the rule
        Assert.Equal((path, 3L, "labels"), (error.Path, error.Line, error.Field));
        Assert.Equal("label id 4 is past the header's label count 4", error.Problem);
    }

    [Theory]
    [InlineData("0 7:1", "feature id 7 is past the header's feature count 5")]
    [InlineData("0 1-1", "'1-1' is not a feature:value pair")]
    [InlineData("0 1:x", "the value 'x' of feature 1 is not a finite number")]
    [InlineData("0 1:1 3:", "feature 3 has no value (truncated line?)")]
    [InlineData("0,", "the label list ends with ',' (truncated line?)")]
    [InlineData("1:1 2:1", "'1:1' is not a label id (a line without labels starts with a space)")]
    public void A_malformed_instance_line_is_reported_with_its_line(string line, string problem)
    {
        // Given a file whose second instance is malformed
        using var folder = new TempFolder();
        var path = folder.Write("bad.txt", $"3 5 4\n0 1:1\n{line}\n2 4:1\n");

        // When it is read
        var error = Sets.ErrorOf(path, AnnotationFormat.ExtremeText);

        // Then the error names the file, line 3 and the problem
        Assert.Equal((path, 3L), (error.Path, error.Line));
        Assert.Equal(problem, error.Problem);
        Assert.Contains("bad.txt:3:", error.ToString());
    }

    [Fact]
    public void Skipping_invalid_instances_drops_them_whole_and_counts_them()
    {
        // Given four instances of which the second and fourth are invalid
        using var folder = new TempFolder();
        var path = folder.Write("bad.txt", "4 5 4\n0 1:1\n1,9 2:1\n2 3:1\n3 4:\n");

        // When it is read skipping invalid instances
        var set = Sets.Read(path, AnnotationFormat.ExtremeText, skipInvalid: true);

        // Then the two good instances remain, features included, and the two bad ones are counted with their lines
        Assert.Equal([["0"], ["2"]], Sets.LabelNames(set));
        Assert.Equal(2, set.Features!.Rows);
        Assert.Equal(2, set.Report.SkippedInvalid);
        Assert.Equal([3L, 5L], set.Report.FirstErrors.Select(e => e.Line));
    }

    [Fact]
    public void Fewer_lines_than_the_header_announces_is_reported()
    {
        // Given a header announcing 3 instances and a file with 2
        using var folder = new TempFolder();
        var path = folder.Write("short.txt", "3 5 4\n0 1:1\n1 2:1\n");

        // When it is read, and read again skipping invalid instances
        var error = Sets.ErrorOf(path, AnnotationFormat.ExtremeText);
        var set = Sets.Read(path, AnnotationFormat.ExtremeText, skipInvalid: true);

        // Then the shortfall is an error, and when skipping, the instances read are kept and the shortfall recorded
        Assert.Contains("ends after 2 instances but the header announces 3", error.Problem);
        Assert.Equal(2, set.Count);
        Assert.Single(set.Report.FirstErrors);
    }

    [Fact]
    public void More_lines_than_the_header_announces_is_reported()
    {
        // Given a header announcing 1 instance and a file with 2
        using var folder = new TempFolder();
        var path = folder.Write("long.txt", "1 5 4\n0 1:1\n1 2:1\n");

        // When it is read
        var error = Sets.ErrorOf(path, AnnotationFormat.ExtremeText);

        // Then the extra line is named
        Assert.Equal((3L, "instances"), (error.Line, error.Field));
    }

    [Theory]
    [InlineData("")]
    [InlineData("3 5\n")]
    [InlineData("3 five 4\n")]
    [InlineData("-3 5 4\n")]
    public void A_bad_header_is_fatal_even_when_skipping(string text)
    {
        // Given a file whose first line is not N F L
        using var folder = new TempFolder();
        var path = folder.Write("header.txt", text);

        // When it is opened skipping invalid instances
        var error = Assert.Throws<AnnotationFormatException>(() =>
            AnnotationReader.Open(path, new ReaderOptions { Format = AnnotationFormat.ExtremeText, SkipInvalid = true })).Error;

        // Then the error is on line 1, the header
        Assert.Equal((1L, "header"), (error.Line, error.Field));
    }

    [Fact]
    public void Chunks_hold_at_most_the_chunk_size_and_cover_every_instance()
    {
        // Given three instances
        using var folder = new TempFolder();
        var path = folder.Write("tiny.txt", Tiny);

        // When they are read in chunks of two
        using var stream = AnnotationReader.Open(path, new ReaderOptions { Format = AnnotationFormat.ExtremeText });
        var sizes = stream.ReadChunks(2).Select(c => c.Labels.Rows).ToArray();

        // Then there are two chunks, 2 + 1, the report counts 3, and the whole file was consumed
        Assert.Equal([2, 1], sizes);
        Assert.Equal(3, stream.Report.Instances);
        Assert.Equal(stream.TotalBytes, stream.BytesRead);
        Assert.Throws<InvalidOperationException>(() => stream.ReadChunks(2));
    }
}
