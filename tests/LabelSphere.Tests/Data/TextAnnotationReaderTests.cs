using LabelSphere.Data;

namespace LabelSphere.Tests.Data;

public sealed class TextAnnotationReaderTests
{
    [Fact]
    public void Labels_tab_text_lines_give_label_sets_and_texts()
    {
        // Given three lines: two labels, one label, none (an empty labels field); labels separated by spaces
        using var folder = new TempFolder();
        var path = folder.Write("docs.txt", "sports  finance\tStocks fell after the match.\nmusic\tA new album\n\tNothing to label here\n");

        // When it is read
        var set = AnnotationReader.Read(path);

        // Then the format is text, labels come in first-seen order, the texts are kept as written, instances are named by row
        Assert.Equal(AnnotationFormat.Text, set.Report.Format);
        Assert.Equal(["sports", "finance", "music"], set.Vocabulary.Names);
        Assert.Equal([["finance", "sports"], ["music"], []], Sets.LabelNames(set));
        Assert.Equal(["Stocks fell after the match.", "A new album", "Nothing to label here"], set.Texts);
        Assert.Null(set.Features);
        Assert.Null(set.InstanceIds);
        Assert.Equal(1, set.Report.EmptyInstances);
    }

    [Fact]
    public void LibMultiLabel_id_labels_text_lines_name_their_instances()
    {
        // Given LibMultiLabel's three-field form
        using var folder = new TempFolder();
        var path = folder.Write("lml.tsv", "2286\tE11 ECAT M11\trecov recov excit\n2287\tC24 CCAT\turuguay compan\n");

        // When it is read
        var set = AnnotationReader.Read(path);

        // Then the first field names each instance and the second holds its labels
        Assert.Equal(["2286", "2287"], set.InstanceIds);
        Assert.Equal([["E11", "ECAT", "M11"], ["C24", "CCAT"]], Sets.LabelNames(set));
        Assert.Equal(["recov recov excit", "uruguay compan"], set.Texts);
    }

    [Fact]
    public void A_line_with_another_number_of_fields_is_an_error_naming_its_line()
    {
        // Given a two-field file whose third line has three fields
        using var folder = new TempFolder();
        var path = folder.Write("mixed.tsv", "a\tfirst\nb\tsecond\nid\tc\tthird\n");

        // When it is read, then skipping invalid instances
        var error = Sets.ErrorOf(path, AnnotationFormat.Text);
        var skipped = Sets.Read(path, AnnotationFormat.Text, skipInvalid: true);

        // Then the error names line 3 and the fields; skipping keeps the other two
        Assert.Equal((3L, "fields"), (error.Line, error.Field));
        Assert.Contains("3 tab-separated fields; the file's first line has 2", error.Problem);
        Assert.Equal(2, skipped.Count);
    }

    [Fact]
    public void A_csv_with_named_columns_reads_the_text_and_labels_columns()
    {
        // Given a CSV whose text holds commas and quotes, with an id column and a column that is ignored, labels
        // separated by '|'
        using var folder = new TempFolder();
        var path = folder.Write("products.csv",
            "sku,title,category,price\nA1,\"Shoes, red \"\"running\"\"\",footwear|sport,10\nB2,Coffee mug,kitchen,4\n");
        var options = new ReaderOptions { TextColumn = "title", LabelsColumn = "category", IdColumn = "sku", LabelSeparator = "|" };

        // When it is read with those columns named
        var set = AnnotationReader.Read(path, options);

        // Then each record gives its text, its labels and its id
        Assert.Equal(AnnotationFormat.TextCsv, set.Report.Format);
        Assert.Equal(["Shoes, red \"running\"", "Coffee mug"], set.Texts);
        Assert.Equal([["footwear", "sport"], ["kitchen"]], Sets.LabelNames(set));
        Assert.Equal(["A1", "B2"], set.InstanceIds);
    }

    [Fact]
    public void A_csv_without_the_named_column_is_refused_naming_the_setting()
    {
        // Given a text CSV without a 'body' column
        using var folder = new TempFolder();
        var path = folder.Write("docs.csv", "text,labels\nhello,a\n");

        // When it is read asking for 'body'
        var error = Assert.Throws<AnnotationFormatException>(() =>
            AnnotationReader.Read(path, new ReaderOptions { Format = AnnotationFormat.TextCsv, TextColumn = "body" })).Error;

        // Then the header line is named, and the setting that chooses the column
        Assert.Equal((1L, "header"), (error.Line, error.Field));
        Assert.Contains("no column 'body'", error.Problem);
        Assert.Equal(nameof(ReaderOptions.TextColumn), error.Setting);
    }

    [Fact]
    public void Json_lines_take_labels_as_an_array_or_a_string_and_ids_as_numbers_or_strings()
    {
        // Given JSON Lines with a label array, a label string, an empty array, numeric and string ids, and a blank line
        using var folder = new TempFolder();
        var path = folder.Write("docs.jsonl",
            "{\"id\": 7, \"text\": \"Rain today\", \"labels\": [\"weather\", \"news\"]}\n\n" +
            "{\"id\": \"x\", \"text\": \"Goal!\", \"labels\": \"sports\"}\n{\"id\": 9, \"text\": \"\", \"labels\": []}\n");

        // When it is read with an id field
        var set = AnnotationReader.Read(path, new ReaderOptions { IdColumn = "id" });

        // Then every record is an instance with its labels, text and id
        Assert.Equal(AnnotationFormat.TextJsonl, set.Report.Format);
        Assert.Equal([["news", "weather"], ["sports"], []], Sets.LabelNames(set));
        Assert.Equal(["Rain today", "Goal!", ""], set.Texts);
        Assert.Equal(["7", "x", "9"], set.InstanceIds);
    }

    [Theory]
    [InlineData("{\"labels\": \"a\"}\n", "text", "missing")]
    [InlineData("{\"text\": 3, \"labels\": \"a\"}\n", "text", "a number, not a string")]
    [InlineData("{\"text\": \"t\"}\n", "labels", "missing")]
    [InlineData("{\"text\": \"t\", \"labels\": [1]}\n", "labels", "not a string or an array of strings")]
    [InlineData("{\"text\": \"t\", \"labels\": \"a\"\n", "record", "not valid JSON")]
    [InlineData("[1, 2]\n", "record", "not a JSON object")]
    public void A_bad_json_record_is_one_error_naming_line_and_field(string text, string field, string problem)
    {
        // Given a JSON Lines file whose second record is bad
        using var folder = new TempFolder();
        var path = folder.Write("bad.jsonl", "{\"text\": \"fine\", \"labels\": \"a\"}\n" + text);

        // When it is read
        var error = Sets.ErrorOf(path, AnnotationFormat.TextJsonl);

        // Then the error names line 2 and the field
        Assert.Equal((2L, field), (error.Line, error.Field));
        Assert.Contains(problem, error.Problem);
    }
}
