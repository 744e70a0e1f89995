using System.Globalization;
using System.Text;
using LabelSphere.Data;

namespace LabelSphere.Tests.Data;

public sealed class LibsvmReaderTests
{
    /// <summary>Each row's features as (column, value) pairs, in column order.</summary>
    static (int, float)[][] Pairs(FeatureMatrix features)
    {
        var rows = new (int, float)[features.Rows][];
        for (int r = 0; r < features.Rows; r++)
        {
            var row = new List<(int, float)>();
            for (long k = features.Offsets[r]; k < features.Offsets[r + 1]; k++) row.Add((features.Indices[(int)k], features.Values[(int)k]));
            rows[r] = [.. row];
        }
        return rows;
    }

    /// <summary>The instances of <paramref name="set"/> as LIBSVM lines: label names, then 1-based (or 0-based) index:value pairs.</summary>
    static string AsLibsvm(AnnotationSet set, bool zeroBased = false)
    {
        var text = new StringBuilder();
        var pairs = Pairs(set.Features!);
        var names = Sets.LabelNames(set);
        for (int r = 0; r < set.Count; r++)
        {
            text.Append(string.Join(',', names[r]));
            foreach (var (c, v) in pairs[r]) text.Append(' ').Append(zeroBased ? c : c + 1).Append(':').Append(v.ToString("R", CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        return text.ToString();
    }

    [Fact]
    public void The_same_data_written_as_xc_and_as_libsvm_reads_to_the_same_labels_and_features()
    {
        // Given four instances as an Extreme Classification file (0-based ids, header N F L) and the same instances as
        // LIBSVM (1-based indices, no header; an unlabelled line starts with a space), and as 0-based LIBSVM
        using var folder = new TempFolder();
        var xc = folder.Write("same.txt", "4 6 12\n0,11 0:1 5:0.25\n 2:3\n3,2,10 1:-2 4:1e-3 5:7\n11 3:0.5\n");
        var libsvm = folder.Write("same.svm", "0,11 1:1 6:0.25\n 3:3\n3,2,10 2:-2 5:1e-3 6:7\n11 4:0.5\n");
        var zeroBased = folder.Write("zero.svm", "0,11 0:1 5:0.25\n 2:3\n3,2,10 1:-2 4:1e-3 5:7\n11 3:0.5\n");

        // When each is read
        var fromXc = Sets.Read(xc, AnnotationFormat.ExtremeText);
        var fromLibsvm = AnnotationReader.Read(libsvm);
        var fromZeroBased = AnnotationReader.Read(zeroBased, new ReaderOptions { ZeroBasedFeatures = true });

        // Then the LIBSVM files hold the same label sets (by name) and the same features in the same columns, the
        // feature count inferred from the largest index (6 in both conventions)
        foreach (var set in new[] { fromLibsvm, fromZeroBased })
        {
            Assert.Equal(AnnotationFormat.Libsvm, set.Report.Format);
            Assert.Equal(Sets.LabelNames(fromXc), Sets.LabelNames(set));
            Assert.Equal(Pairs(fromXc.Features!), Pairs(set.Features!));
            Assert.Equal(6, set.Features!.Columns);
            Assert.True(set.Features.ColumnsInferred);
            Assert.Equal(1, set.Report.EmptyInstances);
        }
        // and integer labels are in numeric order (10 and 11 after 3), only those that occur
        Assert.Equal(["0", "2", "3", "10", "11"], fromLibsvm.Vocabulary.Names);
    }

    [Fact]
    public void Stackex_coffee_written_as_libsvm_reads_back_to_the_xc_data()
    {
        // Given the StackExchange coffee set, and the same data written as a LIBSVM file (label names, 1-based indices)
        var path = DatasetPaths.Get("xc", "stackex_coffee_data.txt");
        if (path is null) Assert.Skip(DatasetPaths.Missing);
        var xc = AnnotationReader.Read(path);
        using var folder = new TempFolder();
        var libsvm = folder.Write("coffee.svm", AsLibsvm(xc));

        // When the LIBSVM file is read
        var set = AnnotationReader.Read(libsvm);

        // Then every instance has the same labels and features; the inferred count is at most the header's F
        Assert.Equal(225, set.Count);
        Assert.Equal(Sets.LabelNames(xc), Sets.LabelNames(set));
        Assert.Equal(Pairs(xc.Features!), Pairs(set.Features!));
        Assert.InRange(set.Features!.Columns, 1, xc.Features!.Columns);
    }

    [Theory]
    [InlineData("1 2:1 x:3\n", 1, "features", "'x:3' is not an index:value pair")]
    [InlineData("1 2:1\n1 3:NaN\n", 2, "features", "the value 'NaN' of feature 3 is not a finite number")]
    [InlineData("1 2:1\n1 3:1e40\n", 2, "features", "is not a finite number")]
    [InlineData("1 5:1 3:1\n", 1, "features", "feature index 3 follows 5; indices must increase along a line")]
    [InlineData("1 5:1 5:2\n", 1, "features", "feature index 5 is given twice")]
    [InlineData("1 5:\n", 1, "features", "feature 5 has no value")]
    [InlineData("1,,2 5:1\n", 1, "labels", "empty label")]
    [InlineData("1, 5:1\n", 1, "labels", "ends with ','")]
    [InlineData("2:1 5:1\n", 1, "labels", "'2:1' is not a label (a line without labels starts with a space)")]
    public void A_malformed_line_is_one_error_naming_file_line_and_field(string text, long line, string field, string problem)
    {
        // Given a LIBSVM file with one defect
        using var folder = new TempFolder();
        var path = folder.Write("bad.svm", text);

        // When it is read
        var error = Sets.ErrorOf(path, AnnotationFormat.Libsvm);

        // Then the error names the file, the line and the field, and says what is wrong
        Assert.Equal((path, line, field), (error.Path, error.Line, error.Field));
        Assert.Contains(problem, error.Problem);
    }

    [Fact]
    public void Index_0_in_a_1_based_file_stops_reading_and_names_the_setting()
    {
        // Given a file that uses index 0, read as LIBSVM's 1-based convention, even skipping invalid lines
        using var folder = new TempFolder();
        var path = folder.Write("zero.svm", "1 1:1\n2 0:1 3:2\n");

        // When it is read
        var error = Assert.Throws<AnnotationFormatException>(() =>
            AnnotationReader.Read(path, new ReaderOptions { SkipInvalid = true })).Error;

        // Then the whole file is refused on that line, pointing at the 0-based setting
        Assert.Equal((2L, "features"), (error.Line, error.Field));
        Assert.Equal(nameof(ReaderOptions.ZeroBasedFeatures), error.Setting);
    }

    [Fact]
    public void Skipped_lines_add_no_label_and_no_feature_and_keep_the_rows_of_the_others()
    {
        // Given a file whose second instance has a non-finite value, a label of its own and the largest index,
        // with a comment line and a blank line, and a comment after an instance
        using var folder = new TempFolder();
        var path = folder.Write("skip.svm", "# made by hand\na 1:1\nb 9:inf\n\nc,a 2:2 # the third\n");

        // When it is read skipping invalid instances
        var set = Sets.Read(path, AnnotationFormat.Libsvm, skipInvalid: true);

        // Then the two valid instances remain as rows 0 and 2, the skipped label and feature are not in the data
        Assert.Equal(2, set.Count);
        Assert.Equal(["a", "c"], set.Vocabulary.Names);
        Assert.Equal(2, set.Features!.Columns);
        Assert.Equal(["0", "2"], [set.InstanceName(0), set.InstanceName(1)]);
        Assert.Equal(1, set.Report.SkippedInvalid);
        Assert.Equal((3L, "features"), (set.Report.FirstErrors[0].Line, set.Report.FirstErrors[0].Field));
    }
}
