using LabelSphere.Data;

namespace LabelSphere.Tests.Data;

public sealed class MulanArffReaderTests
{
    const string Xml = """
        <?xml version="1.0" encoding="utf-8"?>
        <labels xmlns="http://mulan.sourceforge.net/labels">
        <label name="sky"></label>
        <label name="sea side">
          <label name="beach"></label>
        </label>
        </labels>
        """;

    const string Header = """
        % a comment
        @relation tiny

        @attribute colour {red,green,blue}
        @attribute beach {0,1}
        @ATTRIBUTE 'sea side' {0,1}
        @attribute size numeric
        @attribute "sky" {0,1}

        @data
        """;

    static string Arff(params string[] rows) => Header + "\n" + string.Join("\n", rows) + "\n";

    [Fact]
    public void Bibtex_train_has_4880_instances_and_159_labels()
    {
        // Given the Mulan BibTeX training set and bibtex.xml beside it
        var path = DatasetPaths.Get("mulan", "bibtex", "bibtex-train.arff");
        if (path is null) Assert.Skip(DatasetPaths.Missing);

        // When it is read with the XML detected
        var set = AnnotationReader.Read(path);

        // Then the shape matches an independent count (a python script parsing the sparse rows: 4,880 rows,
        // 1,995 attributes of which 159 named in the XML, 11,616 label values of 1, no row without labels)
        Assert.Equal(4880, set.Count);
        Assert.Equal(159, set.Vocabulary.Count);
        Assert.Equal(1836, set.Features!.Columns);
        Assert.Equal(11616, set.Labels.NonZeros);
        Assert.Equal(0, set.Report.EmptyInstances);
        Assert.Equal("TAG_2005", set.Vocabulary[0]);
    }

    [Fact]
    public void Delicious_train_has_12920_instances_and_983_labels()
    {
        // Given the Mulan delicious training set
        var path = DatasetPaths.Get("mulan", "delicious", "delicious-train.arff");
        if (path is null) Assert.Skip(DatasetPaths.Missing);

        // When it is read
        var set = AnnotationReader.Read(path);

        // Then the shape matches the same python count: 246,088 label values of 1 and 10 rows without labels
        Assert.Equal(12920, set.Count);
        Assert.Equal(983, set.Vocabulary.Count);
        Assert.Equal(500, set.Features!.Columns);
        Assert.Equal(246088, set.Labels.NonZeros);
        Assert.Equal(10, set.Report.EmptyInstances);
        Assert.Contains(@"TAG_m\'usica", set.Vocabulary.Names);
    }

    [Fact]
    public void Corel5k_sparse_train_has_4500_instances_and_374_labels()
    {
        // Given Corel5k-train-sparse.arff (the only Corel5k ARFF files here are the sparse ones) and Corel5k.xml
        var path = DatasetPaths.Get("mulan", "corel5k", "Corel5k-train-sparse.arff");
        if (path is null) Assert.Skip(DatasetPaths.Missing);

        // When it is read, the XML found by a case-insensitive prefix match
        var set = AnnotationReader.Read(path);

        // Then the shape matches the python count: 15,847 label values of 1
        Assert.Equal(4500, set.Count);
        Assert.Equal(374, set.Vocabulary.Count);
        Assert.Equal(499, set.Features!.Columns);
        Assert.Equal(15847, set.Labels.NonZeros);
    }

    [Fact]
    public void Scene_train_dense_rows_have_1211_instances_6_labels_and_294_numeric_features()
    {
        // Given the dense numeric Mulan scene set
        var path = DatasetPaths.Get("mulan", "scene", "scene-train.arff");
        if (path is null) Assert.Skip(DatasetPaths.Missing);

        // When it is read
        var set = AnnotationReader.Read(path);

        // Then the shape matches the python count (1,286 label values of 1) and the first feature is the file's first value
        Assert.Equal(1211, set.Count);
        Assert.Equal(["Beach", "Sunset", "FallFoliage", "Field", "Mountain", "Urban"], set.Vocabulary.Names);
        Assert.Equal(294, set.Features!.Columns);
        Assert.Equal(1286, set.Labels.NonZeros);
        var row = new float[294];
        set.Features.CopyRowTo(0, row);
        Assert.Equal(0.646467f, row[0]);
    }

    [Theory]
    [InlineData("bibtex/bibtex-test.arff", 2515, 159, 1836, 6146)]
    [InlineData("corel5k/Corel5k-test-sparse.arff", 500, 374, 499, 1763)]
    [InlineData("delicious/delicious-test.arff", 3185, 983, 500, 60229)]
    [InlineData("emotions/emotions-train.arff", 391, 6, 72, 709)]
    [InlineData("emotions/emotions-test.arff", 202, 6, 72, 399)]
    [InlineData("enron/enron-train.arff", 1123, 53, 1001, 3803)]
    [InlineData("enron/enron-test.arff", 579, 53, 1001, 1947)]
    [InlineData("medical/medical-train.arff", 333, 45, 1449, 418)]
    [InlineData("medical/medical-test.arff", 645, 45, 1449, 800)]
    [InlineData("scene/scene-test.arff", 1196, 6, 294, 1299)]
    [InlineData("yeast/yeast-train.arff", 1500, 14, 103, 6342)]
    [InlineData("yeast/yeast-test.arff", 917, 14, 103, 3899)]
    public void Every_shared_mulan_file_has_the_shape_an_independent_count_gives(string file, int instances, int labels,
                                                                                   int features, int pairs)
    {
        // Given one of the shared Mulan files (expected numbers from a python script that splits the rows itself)
        var path = DatasetPaths.Get(["mulan", .. file.Split('/')]);
        if (path is null) Assert.Skip(DatasetPaths.Missing);

        // When it is read with its XML detected
        var set = AnnotationReader.Read(path);

        // Then its shape is the counted one and nothing was skipped
        Assert.Equal((instances, labels, features, (long)pairs), (set.Count, set.Vocabulary.Count, set.Features!.Columns, set.Labels.NonZeros));
        Assert.Equal(0, set.Report.SkippedInvalid);
    }

    [Fact]
    public void An_instance_weight_after_the_values_is_ignored()
    {
        // Given a dense and a sparse row, each followed by an ARFF instance weight
        using var folder = new TempFolder();
        folder.Write("tiny.xml", Xml);
        var path = folder.Write("tiny-train.arff", Arff("green,1,0,2.5,1,{3}", "{2 1},{0.5}"));

        // When it is read
        var set = AnnotationReader.Read(path);

        // Then the weights are not values
        Assert.Equal([["beach", "sky"], ["sea side"]], Sets.LabelNames(set));
    }

    [Fact]
    public void Dense_and_sparse_rows_give_their_exact_labels_and_features()
    {
        // Given quoted attribute names, a nominal feature, labels nested in the XML, and dense and sparse rows
        using var folder = new TempFolder();
        folder.Write("tiny.xml", Xml);
        var path = folder.Write("tiny-train.arff", Arff(
            "green,1,0,2.5,1",
            "{0 blue,2 1}",
            "red,0,0,?,0",
            "{}"));

        // When it is read
        var set = AnnotationReader.Read(path);

        // Then labels follow the attribute order, features are colour (value index) and size
        Assert.Equal(["beach", "sea side", "sky"], set.Vocabulary.Names);
        Assert.Equal([["beach", "sky"], ["sea side"], [], []], Sets.LabelNames(set));
        Assert.Equal(2, set.Features!.Columns);
        var row = new float[2];
        set.Features.CopyRowTo(0, row);
        Assert.Equal([1f, 2.5f], row);
        set.Features.CopyRowTo(1, row);
        Assert.Equal([2f, 0f], row);
        set.Features.CopyRowTo(2, row);
        Assert.True(float.IsNaN(row[1]));
        Assert.Equal(2, set.Report.EmptyInstances);
    }

    [Fact]
    public void The_label_xml_is_the_one_whose_name_begins_the_arff_name_in_any_case()
    {
        // Given two XML files of which TINY.xml and tiny-train.xml both begin tiny-train-sparse.arff
        using var folder = new TempFolder();
        folder.Write("TINY.xml", Xml);
        var longer = folder.Write("tiny-train.xml", Xml);
        folder.Write("other.xml", Xml);
        var path = folder.Write("tiny-train-sparse.arff", Arff("{}"));

        // When the XML is detected
        var xml = MulanArffReader.DetectLabelXml(path);

        // Then the longest matching name wins
        Assert.Equal(longer, xml);
    }

    [Fact]
    public void A_missing_label_xml_is_fatal()
    {
        // Given an ARFF file with no XML beside it
        using var folder = new TempFolder();
        var path = folder.Write("tiny-train.arff", Arff("{}"));

        // When it is opened
        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationReader.Open(path)).Error;

        // Then the error says what it looked for
        Assert.Equal("label XML", error.Field);
        Assert.Contains(folder.Path, error.Problem);
        Assert.Equal(nameof(ReaderOptions.LabelXmlPath), error.Setting);
        Assert.DoesNotContain("ReaderOptions", error.Problem);
    }

    [Fact]
    public void A_label_in_the_xml_that_is_not_an_attribute_is_fatal_and_names_the_label()
    {
        // Given an XML naming "skye", which the ARFF does not declare
        using var folder = new TempFolder();
        var xml = folder.Write("tiny.xml", Xml.Replace("\"sky\"", "\"skye\""));
        var path = folder.Write("tiny-train.arff", Arff("{}"));

        // When it is opened, even skipping invalid instances
        var error = Assert.Throws<AnnotationFormatException>(() =>
            AnnotationReader.Open(path, new ReaderOptions { SkipInvalid = true })).Error;

        // Then the error names the XML file, the line of the label, the label, and suggests the near attribute
        Assert.Equal((xml, 3L, "skye"), (error.Path, error.Line, error.Field));
        Assert.Contains("'sky'", error.Problem);
    }

    [Theory]
    [InlineData("green,1,0,2.5,2", "sky", "the label value '2' is not 0 or 1")]
    [InlineData("green,?,0,2.5,1", "beach", "the label value '?' is not 0 or 1")]
    [InlineData("{2 1,4 7}", "sky", "the label value '7' is not 0 or 1")]
    [InlineData("purple,1,0,2.5,1", "colour", "'purple' is not one of the declared values {red,green,blue}")]
    [InlineData("green,1,0,big,1", "size", "'big' is not a number")]
    [InlineData("{2 1,5 1}", "index", "attribute index 5 is past the last attribute (4)")]
    [InlineData("green,1,0,2.5", "row", "expected 5 values (one per attribute), found 4 (truncated line?)")]
    [InlineData("green,1,0,2.5,1,1", "row", "expected 5 values (one per attribute), found 6")]
    [InlineData("{2 1,4", "row", "the sparse row has no closing '}' (truncated line?)")]
    public void A_bad_row_names_file_line_and_attribute(string row, string field, string problem)
    {
        // Given a file whose second data row is bad (line 12)
        using var folder = new TempFolder();
        folder.Write("tiny.xml", Xml);
        var path = folder.Write("tiny-train.arff", Arff("{}", row, "{}"));

        // When it is read
        var error = Sets.ErrorOf(path, AnnotationFormat.MulanArff);

        // Then the error points at the row and the attribute
        Assert.Equal((path, 12L, field, problem), (error.Path, error.Line, error.Field, error.Problem));
    }

    [Fact]
    public void Skipping_invalid_rows_drops_them_whole_and_counts_them()
    {
        // Given rows of which the second has a label value 2 and the fourth is truncated
        using var folder = new TempFolder();
        folder.Write("tiny.xml", Xml);
        var path = folder.Write("tiny-train.arff", Arff("{1 1}", "red,1,1,1,2", "{4 1}", "{2 1"));

        // When it is read skipping invalid instances
        var set = Sets.Read(path, AnnotationFormat.MulanArff, skipInvalid: true);

        // Then only the good rows remain and the two bad ones are counted
        Assert.Equal([["beach"], ["sky"]], Sets.LabelNames(set));
        Assert.Equal(2, set.Features!.Rows);
        Assert.Equal(2, set.Report.SkippedInvalid);
    }

    [Theory]
    [InlineData("@attribute a {0,1}\n@attribute a {0,1}\n@data\n", "a")]
    [InlineData("@attribute a text\n@data\n", "a")]
    [InlineData("@attribute a {0,1\n@data\n", "a")]
    [InlineData("@attribute a {0,1}\n", "header")]
    [InlineData("hello\n", "header")]
    public void A_bad_header_is_fatal(string text, string field)
    {
        // Given a malformed ARFF header
        using var folder = new TempFolder();
        folder.Write("h.xml", "<labels><label name=\"a\"/></labels>");
        var path = folder.Write("h.arff", text);

        // When it is opened
        var error = Assert.Throws<AnnotationFormatException>(() => AnnotationReader.Open(path)).Error;

        // Then the error names the ARFF file and the field
        Assert.Equal((path, field), (error.Path, error.Field));
    }
}
