namespace LabelSphere.Tests.Cli;

/// <summary>
/// Bad input of every kind ends the same way: exit code 1 and exactly one line on standard error, naming the file
/// (with line and field where there is one) or the option at fault; no .NET parameter names, types or stack traces.
/// </summary>
public sealed class ErrorLineTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    string Write(string name, string text)
    {
        var path = Path.Combine(dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    string Out(string name = "out") => Path.Combine(dir, name);

    const string LabelXml = """
        <?xml version="1.0" encoding="utf-8"?>
        <labels xmlns="http://mulan.sourceforge.net/labels"><label name="sky"></label><label name="sea"></label></labels>
        """;

    const string ArffHeader = "@relation r\n@attribute size numeric\n@attribute sky {0,1}\n@attribute sea {0,1}\n@data\n";


    [Fact]
    public void An_extreme_text_label_count_too_large_for_an_int_is_named_in_the_header()
    {
        // Given an XC file whose header declares 99,999,999,999 labels (it used to be "cannot tell the annotation format")
        var data = Write("big.txt", "2 3 99999999999\n0 0:1\n1 1:1\n");

        // When it is embedded, then the one line names the file, line 1, the header and the count
        CliRunner.OneErrorLine(CliRunner.Run("embed", data, "--out", Out()), "big.txt:1: header:", "label count 99999999999");
    }

    [Fact]
    public void An_extreme_text_header_with_no_labels_is_one_line_naming_the_file()
    {
        var data = Write("none.txt", "2 3 0\n 0:1\n 1:1\n");
        CliRunner.OneErrorLine(CliRunner.Run("embed", data, "--out", Out()), "none.txt:1: header:", "L = 0");
    }

    [Theory]
    [InlineData("tags.arff")]
    [InlineData("wide.csv")]
    [InlineData("long.csv")]
    public void A_file_with_a_header_and_no_instances_is_one_line_naming_the_file(string name)
    {
        // Given annotation files that stop after their header (PMI used to fail with "Parameter 'instances'")
        var data = name switch
        {
            "tags.arff" => Write(name, ArffHeader),
            "wide.csv" => Write(name, "image,sky,sea\n"),
            _ => Write(name, "image,label\n"),
        };
        Write("tags.xml", LabelXml);

        CliRunner.OneErrorLine(CliRunner.Run("embed", data, "--out", Out()), $"{name}: instances: the file holds no instances");
        Assert.False(Directory.Exists(Out()));
    }

    [Fact]
    public void Captions_whose_words_all_fall_below_the_minimum_count_name_the_file_and_min_count()
    {
        var data = Write("captions.json", """
            {"images": [{"id": 1, "file_name": "a.jpg"}, {"id": 2, "file_name": "b.jpg"}],
             "annotations": [{"id": 1, "image_id": 1, "caption": "a dog runs"}, {"id": 2, "image_id": 2, "caption": "a cat sleeps"}]}
            """);
        CliRunner.OneErrorLine(CliRunner.Run("embed", data, "--out", Out(), "--min-word-count", "3"), "captions.json", "--min-word-count", "at least 3 images");
    }

    [Fact]
    public void A_folder_given_as_the_annotation_file_is_called_a_folder()
    {
        var folder = Path.Combine(dir, "tags.csv");
        Directory.CreateDirectory(folder);
        CliRunner.OneErrorLine(CliRunner.Run("embed", folder, "--out", Out()), "tags.csv: is a folder, not a file");
    }

    [Fact]
    public void An_arff_without_its_label_xml_names_the_labels_xml_option()
    {
        var data = Write("alone/tags.arff", ArffHeader + "1,1,0\n");
        var line = CliRunner.OneErrorLine(CliRunner.Run("embed", data, "--out", Out()), "tags.arff:1: label XML:", "(--labels-xml)");
        Assert.DoesNotContain("ReaderOptions", line);
    }

    [Fact]
    public void A_npy_file_cut_inside_its_header_is_named()
    {
        // Given an embedding whose embedding.npy is cut 20 bytes in, inside its header
        var tags = Write("tags.csv", "image,label\na,x\na,y\nb,y\nb,z\nc,x\nc,z\n");
        var embedding = Out("emb");
        Assert.Equal(0, CliRunner.Run("embed", tags, "--dim", "2", "--out", embedding).ExitCode);
        var npy = Path.Combine(embedding, "embedding.npy");
        File.WriteAllBytes(npy, File.ReadAllBytes(npy)[..20]);

        // When it is loaded, then the line names the file (it used to be "Unable to read beyond the end of the stream.")
        CliRunner.OneErrorLine(CliRunner.Run("neighbors", embedding, "x"), "embedding.npy: the file ends inside its .npy header");
    }

    [Fact]
    public void A_corrupt_model_manifest_is_called_corrupt_with_its_line_not_missing()
    {
        // Given a model folder whose manifest.json was cut short
        var model = Path.Combine(dir, "model");
        Write("model/manifest.json", "{\n  \"format\": \"labelsphere.model\",\n  \"formatVersion\": 1,\n  \"labels\": [\"a\", ");
        var data = Write("x.txt", "1 2 2\n0 0:1\n");

        // When it predicts, then the line names manifest.json, its line and says corrupt (it used to be "no model here")
        var line = CliRunner.OneErrorLine(CliRunner.Run("predict", model, data), "manifest.json: line ", "corrupt JSON");
        Assert.DoesNotContain("no model here", line);
    }

    [Fact]
    public void A_corrupt_embedding_manifest_names_its_line_and_field()
    {
        // Given an embedding folder whose manifest breaks inside the value of "format"
        Write("emb/manifest.json", "{\n  \"format\": \"labelsphere.emb\nedding\"\n}\n");

        // When it is loaded, then the line gives file, line and field once, without the parser's own position suffix
        var line = CliRunner.OneErrorLine(CliRunner.Run("neighbors", Out("emb"), "x"), "manifest.json: line 2, field format: corrupt JSON:");
        Assert.DoesNotContain("LineNumber", line);
    }

    [Fact]
    public void Binary_bytes_in_a_file_are_escaped_in_the_error_line()
    {
        // Given a binary file read as Extreme Classification text
        var data = Path.Combine(dir, "blob.csv");
        File.WriteAllBytes(data, [0x7F, (byte)'E', (byte)'L', (byte)'F', 0x02, 0x01, 0x00, 0x00, 0x1B, (byte)'[', (byte)'2', (byte)'J', 0x0D, 0xFF, 0xFE, (byte)'\n']);

        // When it is embedded, then the excerpt in the one line shows the bytes as escapes, never raw
        var line = CliRunner.OneErrorLine(CliRunner.Run("embed", data, "--format", "extreme-text", "--out", Out()), "blob.csv:1: header:", @"\x7FELF\x02\x01\x00\x00\x1B[2J");
        Assert.DoesNotContain(line, c => char.IsControl(c) || c == '\uFFFD');
    }

    [Theory]
    [InlineData("embed", "--dim", "0", "--dim must be at least 1, got 0")]
    [InlineData("embed", "--shift", "0.5", "--shift must be at least 1, got 0.5")]
    [InlineData("embed", "--alpha", "2", "--alpha must be between 0 and 1, got 2")]
    [InlineData("train", "--steps", "0", "--steps must be at least 1, got 0")]
    [InlineData("train", "--lr", "-1", "--lr must be above 0, got -1")]
    [InlineData("train", "--dropout", "1.5", "--dropout must be at least 0 and below 1, got 1.5")]
    [InlineData("train", "--batch-size", "0", "--batch-size must be at least 1, got 0")]
    [InlineData("train", "--epochs", "0", "--epochs must be at least 1, got 0")]
    [InlineData("train", "--momentum", "2", "--momentum must be at least 0 and below 1, got 2")]
    [InlineData("train", "--warmup", "-1", "--warmup must be at least 0, got -1")]
    [InlineData("train", "--weight-decay", "-1", "--weight-decay must be at least 0, got -1")]
    [InlineData("train", "--log-every", "0", "--log-every must be at least 1, got 0")]
    [InlineData("train", "--checkpoint-every", "-1", "--checkpoint-every must be at least 0, got -1")]
    [InlineData("generate", "--instances", "0", "--instances must be at least 1, got 0")]
    [InlineData("generate", "--label-count", "0", "--label-count must be at least 10, got 0")]
    public void An_option_value_out_of_range_is_a_usage_error_naming_the_option(string verb, string option, string value, string rule)
    {
        // Given valid data for the verb
        var tags = Write("tags.csv", "image,label\na,x\na,y\nb,y\nb,z\nc,x\nc,z\n");
        var features = CliFixtures.WriteExtremeText(dir, "train", 20, seed: 1);
        string[] args = verb switch
        {
            "embed" => ["embed", tags, "--out", Out()],
            "train" => ["train", features, "--head", "sigmoid", "--out", Out()],
            _ => ["generate", "--out", Out()],
        };

        // When one option is out of range, then it is a usage error: exit code 2, one line stating the rule, nothing on standard output
        var run = CliRunner.Run([.. args, option, value]);
        var line = CliRunner.OneUsageLine(run, rule, $"(see 'labelsphere {verb} --help')");
        Assert.StartsWith($"error: {option} must be", line);
        Assert.Equal("", run.Out);
        Assert.False(Directory.Exists(Out()));
    }

    [Theory]
    [InlineData("embed", "--dim", "abc", "--dim: 'abc' is not an integer")]
    [InlineData("embed", "--shift", "x", "--shift: 'x' is not a number")]
    [InlineData("embed", "--dim", "99999999999", "--dim: 99999999999 is too large a number")]
    [InlineData("train", "--lr", "fast", "--lr: 'fast' is not a number")]
    [InlineData("train", "--steps", "1e3", "--steps: '1e3' is not an integer")]
    public void An_option_value_that_does_not_parse_names_the_option_and_the_kind_of_value(string verb, string option, string value, string expected)
    {
        var line = CliRunner.OneUsageLine(CliRunner.Run(verb, Path.Combine(dir, "data.txt"), "--out", Out(), option, value), expected);
        Assert.DoesNotContain("Nullable", line);
    }

    [Fact]
    public void A_command_line_error_is_one_line_without_the_help_text()
    {
        CliRunner.OneUsageLine(CliRunner.Run("arithmetic", Out("emb")), "Required argument 'expression' missing", "(see 'labelsphere arithmetic --help')");
    }

    [Fact]
    public void Duplicate_feature_ids_in_an_extreme_text_row_are_an_error_naming_line_and_field()
    {
        var data = Write("dup.txt", "2 5 2\n0 1:0.5 3:1 1:2\n1 2:1\n");
        CliRunner.OneErrorLine(CliRunner.Run("embed", data, "--out", Out()), "dup.txt:2: features: feature 1 is given twice");
    }

    [Fact]
    public void A_label_attribute_that_is_not_binary_is_an_error_naming_it()
    {
        var data = Write("tags.arff", "@relation r\n@attribute size numeric\n@attribute sky {0,1,2}\n@attribute sea {0,1}\n@data\n1,2,0\n");
        Write("tags.xml", LabelXml);
        CliRunner.OneErrorLine(CliRunner.Run("embed", data, "--out", Out()), "tags.arff:3: sky:", "{0,1,2}");
    }

    [Fact]
    public void A_duplicate_index_in_a_sparse_arff_row_is_an_error_naming_line_and_index()
    {
        var data = Write("tags.arff", ArffHeader + "{0 1,1 1,2 1}\n{0 3,1 1,0 4}\n");
        Write("tags.xml", LabelXml);
        CliRunner.OneErrorLine(CliRunner.Run("embed", data, "--out", Out()), "tags.arff:7: index:", "attribute index 0 ('size') is given twice");
    }

    [Fact]
    public void A_duplicate_instance_in_a_wide_csv_is_an_error_naming_both_lines()
    {
        var data = Write("wide.csv", "image,sky,sea\na.jpg,1,0\nb.jpg,0,1\na.jpg,1,1\n");
        CliRunner.OneErrorLine(CliRunner.Run("embed", data, "--out", Out()), "wide.csv:4: image:", "'a.jpg' already has a row (line 2)");
    }

    [Fact]
    public void Arithmetic_whose_terms_cancel_is_an_error()
    {
        var tags = Write("tags.csv", "image,label\na,x\na,y\nb,y\nb,z\nc,x\nc,z\n");
        var embedding = Out("emb");
        Assert.Equal(0, CliRunner.Run("embed", tags, "--dim", "2", "--out", embedding).ExitCode);
        CliRunner.OneErrorLine(CliRunner.Run("arithmetic", embedding, "x - x"), "'x - x' sums to the zero vector");
    }
}
