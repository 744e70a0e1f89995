using LabelSphere.Data;

namespace LabelSphere.Tests.Data;

public sealed class WideCsvReaderTests
{
    [Fact]
    public void Nuswide_train_stops_at_the_lake_cell_of_row_train078372()
    {
        // Given the official NUS-WIDE training ground truth, whose row train078372 holds -1130179 under "lake"
        // (zcat | grep -n gives line 78374; the header's 36th column is lake)
        var path = DatasetPaths.Get("nuswide", "nuswide-train.csv.gz");
        if (path is null) Assert.Skip(DatasetPaths.Missing);

        // When it is read with default options
        var e = Assert.Throws<AnnotationFormatException>(() => AnnotationReader.Read(path));

        // Then the error names the file, the line, the field and the value
        Assert.Equal((78374L, "lake"), (e.Error.Line, e.Error.Field));
        Assert.Contains("nuswide-train.csv.gz:78374: lake:", e.Message);
        Assert.Contains("-1130179", e.Message);
        Assert.Contains("train078372", e.Message);
    }

    [Fact]
    public void Nuswide_train_skipping_invalid_rows_has_161788_instances_and_81_labels()
    {
        // Given the NUS-WIDE training ground truth
        var path = DatasetPaths.Get("nuswide", "nuswide-train.csv.gz");
        if (path is null) Assert.Skip(DatasetPaths.Missing);

        // When it is read skipping invalid rows
        var set = AnnotationReader.Read(path, new ReaderOptions { SkipInvalid = true });

        // Then one row is skipped and the counts match awk over the gunzipped file: 161,789 rows, one with a cell other
        // than 0/1, and 36,340 of the others with no concept (22.5%)
        Assert.Equal(161788, set.Count);
        Assert.Equal(81, set.Vocabulary.Count);
        Assert.Equal(1, set.Report.SkippedInvalid);
        Assert.Equal(78374L, Assert.Single(set.Report.FirstErrors).Line);
        Assert.Equal(36340, set.Report.EmptyInstances);
        Assert.InRange(set.Report.EmptyInstances / (double)set.Count, 0.22, 0.23);
        Assert.Equal("train000000", set.InstanceIds![0]);
        Assert.DoesNotContain("train078372", set.InstanceIds);
    }

    [Fact]
    public void A_gzipped_file_gives_its_exact_label_sets_and_ids()
    {
        // Given a gzip-compressed wide CSV with a quoted label name and spaces around cells
        using var folder = new TempFolder();
        var path = folder.WriteGzip("tiny.csv.gz", "image,cat,\"dog, small\",sky\na.jpg,1,0,1\nb.jpg, 0 ,1,0\nc.jpg,0,0,0\n");

        // When it is read
        var set = AnnotationReader.Read(path);

        // Then every row and id is as written
        Assert.Equal(["cat", "dog, small", "sky"], set.Vocabulary.Names);
        Assert.Equal([["cat", "sky"], ["dog, small"], []], Sets.LabelNames(set));
        Assert.Equal(["a.jpg", "b.jpg", "c.jpg"], set.InstanceIds);
        Assert.Equal(1, set.Report.EmptyInstances);
    }

    [Fact]
    public void Progress_counts_the_compressed_bytes_of_a_gzip_file()
    {
        // Given a gzip-compressed wide CSV
        using var folder = new TempFolder();
        var path = folder.WriteGzip("tiny.csv.gz", "image,a\nx,1\n");

        // When it is opened and read
        using var stream = AnnotationReader.Open(path);
        foreach (var _ in stream.ReadChunks()) { }

        // Then the bytes read reach the size of the compressed file
        Assert.Equal(new FileInfo(path).Length, stream.TotalBytes);
        Assert.Equal(stream.TotalBytes, stream.BytesRead);
    }

    [Fact]
    public void A_label_named_twice_in_the_header_is_fatal()
    {
        // Given a header with "cat" twice
        using var folder = new TempFolder();
        var path = folder.Write("dup.csv", "image,cat,dog,cat\na,1,0,1\n");

        // When it is opened, even skipping invalid rows
        var error = Assert.Throws<AnnotationFormatException>(() =>
            AnnotationReader.Open(path, new ReaderOptions { SkipInvalid = true })).Error;

        // Then the error names the label and both columns
        Assert.Equal((path, 1L, "cat"), (error.Path, error.Line, error.Field));
        Assert.Contains("columns 2 and 4", error.Problem);
    }

    [Theory]
    [InlineData("b,1,2", "dog", "the cell of row 'b' holds '2', not 0 or 1")]
    [InlineData("b,1,", "dog", "the cell of row 'b' holds '', not 0 or 1")]
    [InlineData("b,1", "row", "expected 3 cells (image and 2 labels), found 2 (truncated line?)")]
    [InlineData("b,1,0,1", "row", "expected 3 cells (image and 2 labels), found 4")]
    [InlineData(",1,0", "image", "the instance id is empty")]
    public void A_bad_row_names_file_line_and_column(string row, string field, string problem)
    {
        // Given a file whose second row (line 3) is bad
        using var folder = new TempFolder();
        var path = folder.Write("bad.csv", $"image,cat,dog\na,1,0\n{row}\nc,0,1\n");

        // When it is read
        var error = Sets.ErrorOf(path, AnnotationFormat.WideCsv);

        // Then the error points at line 3 and the column
        Assert.Equal((path, 3L, field, problem), (error.Path, error.Line, error.Field, error.Problem));
    }

    [Fact]
    public void Skipping_invalid_rows_drops_them_whole_and_counts_them()
    {
        // Given a row whose first cell is 1 but whose second is 5
        using var folder = new TempFolder();
        var path = folder.Write("bad.csv", "image,cat,dog\na,1,0\nb,1,5\nc,0,1\n");

        // When it is read skipping invalid rows
        var set = Sets.Read(path, AnnotationFormat.WideCsv, skipInvalid: true);

        // Then row b is gone entirely and counted
        Assert.Equal(["a", "c"], set.InstanceIds);
        Assert.Equal([["cat"], ["dog"]], Sets.LabelNames(set));
        Assert.Equal(1, set.Report.SkippedInvalid);
    }
}
