using LabelSphere.Data;

namespace LabelSphere.Tests.Data;

public sealed class FormatDetectorTests
{
    [Theory]
    [InlineData("a.arff", "@relation x\n", AnnotationFormat.MulanArff)]
    [InlineData("a.ARFF", "@relation x\n", AnnotationFormat.MulanArff)]
    [InlineData("captions.json", "{\"images\": [], \"annotations\": [{\"image_id\": 1, \"caption\": \"a dog\"}]}", AnnotationFormat.CocoCaptions)]
    [InlineData("instances.json", "{\"images\": [], \"annotations\": [{\"image_id\": 1, \"category_id\": 3}], \"categories\": []}", AnnotationFormat.CocoInstances)]
    [InlineData("empty.json", "{\"images\": [], \"annotations\": [], \"categories\": []}", AnnotationFormat.CocoInstances)]
    [InlineData("long.csv", "image,label\na,cat\n", AnnotationFormat.LongCsv)]
    [InlineData("wide.csv", "image,cat,dog\na,1,0\n", AnnotationFormat.WideCsv)]
    [InlineData("one.csv", "image,labels\na,1\n", AnnotationFormat.WideCsv)]
    [InlineData("data.txt", "10 5 3\n0 1:1\n", AnnotationFormat.ExtremeText)]
    [InlineData("train.svm", "anything\n", AnnotationFormat.Libsvm)]
    [InlineData("train.libsvm", "1 1:1\n", AnnotationFormat.Libsvm)]
    [InlineData("train.svmlight", "1 1:1\n", AnnotationFormat.Libsvm)]
    [InlineData("train.txt", "3,17 1:0.5 20:1e-3\n", AnnotationFormat.Libsvm)]
    [InlineData("train.txt", "\n 4:1\n", AnnotationFormat.Libsvm)]
    [InlineData("docs.txt", "sports finance\tStocks fell after the match\n", AnnotationFormat.Text)]
    [InlineData("docs.txt", "12\tsports\tThe match\n", AnnotationFormat.Text)]
    [InlineData("docs.tsv", "sports\tThe match\n", AnnotationFormat.Text)]
    [InlineData("docs.jsonl", "{\"text\": \"a\", \"labels\": []}\n", AnnotationFormat.TextJsonl)]
    [InlineData("docs.csv", "id,text,labels\n1,hello,a\n", AnnotationFormat.TextCsv)]
    public void The_format_follows_the_extension_and_first_bytes(string name, string text, AnnotationFormat expected)
    {
        // Given a file of that name and content
        using var folder = new TempFolder();
        var path = folder.Write(name, text);

        // When its format is detected
        var format = FormatDetector.Detect(path);

        // Then it is the expected one
        Assert.Equal(expected, format);
    }

    [Fact]
    public void A_gzipped_csv_is_read_through_the_compression()
    {
        // Given gzip-compressed long and wide CSV files
        using var folder = new TempFolder();
        var longCsv = folder.WriteGzip("long.csv.gz", "image,label\na,cat\n");
        var wideCsv = folder.WriteGzip("wide.csv.gz", "image,cat\na,1\n");

        // When their formats are detected
        // Then the header inside decides
        Assert.Equal(AnnotationFormat.LongCsv, FormatDetector.Detect(longCsv));
        Assert.Equal(AnnotationFormat.WideCsv, FormatDetector.Detect(wideCsv));
    }

    [Fact]
    public void A_caption_key_split_across_two_reads_is_still_found()
    {
        // Given a JSON file whose "caption" key straddles the 1 MiB read boundary
        using var folder = new TempFolder();
        var prefix = "{\"info\": \"" + new string('x', (1 << 20) - 14) + "\", \"annotations\": [{";
        var path = folder.Write("big.json", prefix + "\"caption\": \"a\", \"image_id\": 1}], \"images\": []}");

        // When its format is detected
        // Then it is captions
        Assert.Equal(AnnotationFormat.CocoCaptions, FormatDetector.Detect(path));
    }

    [Theory]
    [InlineData("notes.md", "hello\n")]
    [InlineData("words.txt", "hello world\n")]
    [InlineData("four.txt", "a\tb\tc\td\n")]
    [InlineData("other.json", "{\"a\": 1}")]
    public void An_unknown_format_names_file_line_and_field_and_points_at_the_format_setting(string name, string text)
    {
        // Given a file LabelSphere cannot place
        using var folder = new TempFolder();
        var path = folder.Write(name, text);

        // When its format is detected
        var error = Assert.Throws<AnnotationFormatException>(() => FormatDetector.Detect(path)).Error;

        // Then the error names the file, line 1 and the field "format", lists the formats and points at the format
        // setting, which the CLI names as its --format option (the library never names a flag)
        Assert.Equal((path, 1L, "format"), (error.Path, error.Line, error.Field));
        Assert.Contains("MulanArff", error.Problem);
        Assert.Equal(nameof(ReaderOptions.Format), error.Setting);
        Assert.DoesNotContain("--", error.Problem);
    }

    [Theory]
    [InlineData("mulan/bibtex/bibtex-train.arff", AnnotationFormat.MulanArff)]
    [InlineData("xc/stackex_cooking_data.txt", AnnotationFormat.ExtremeText)]
    [InlineData("nuswide/nuswide-train.csv.gz", AnnotationFormat.WideCsv)]
    [InlineData("emoji/labels.csv", AnnotationFormat.LongCsv)]
    [InlineData("coco/tiny/annotations/instances_val2017.json", AnnotationFormat.CocoInstances)]
    [InlineData("coco/captions_val2017.json", AnnotationFormat.CocoCaptions)]
    public void The_shared_datasets_are_detected(string relative, AnnotationFormat expected)
    {
        // Given a file of the shared datasets
        var path = DatasetPaths.Get(relative.Split('/'));
        if (path is null) Assert.Skip(DatasetPaths.Missing);

        // When its format is detected
        // Then it is the format the datasets README gives
        Assert.Equal(expected, FormatDetector.Detect(path));
    }
}
