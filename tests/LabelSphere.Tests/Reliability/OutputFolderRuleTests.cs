using LabelSphere.Embedding;
using LabelSphere.Tests.Cli;

namespace LabelSphere.Tests.Reliability;

/// <summary>
/// The output-folder rule, verb by verb, through the tool itself: a new or empty folder is written; the verb's own
/// output is replaced only with --overwrite; a folder holding anything else, an input or the working directory is
/// refused with one line and left untouched.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class OutputFolderRuleTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    // A folder holding a file of the user's.
    string UsersFolder()
    {
        var folder = Path.Combine(dir, "users");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "thesis.tex"), "years of work");
        return folder;
    }

    void AssertUsersFolderUntouched(string folder)
    {
        Assert.Equal(["thesis.tex"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName));
        Assert.Equal("years of work", File.ReadAllText(Path.Combine(folder, "thesis.tex")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir, ".users*"));
    }

    static void AssertOneLineError(CliRunner.Result result, string expected)
    {
        Assert.True(result.ExitCode == 1, $"exit code {result.ExitCode}: {result.Err}");
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, result.Err);
        Assert.Contains(expected, lines[0]);
    }

    [Fact]
    public void Embed_refuses_a_folder_it_did_not_write_even_with_overwrite()
    {
        var data = CliFixtures.WriteExtremeText(dir, "syn", 100, 7);
        var folder = UsersFolder();

        var result = CliRunner.Run("embed", data, "--dim", "4", "--out", folder, "--overwrite");

        AssertOneLineError(result, "is not empty and is not an embedding written by LabelSphere (it holds thesis.tex)");
        AssertUsersFolderUntouched(folder);
    }

    [Fact]
    public void Embed_refuses_the_folder_of_its_input_file()
    {
        var input = Path.Combine(dir, "data");
        Directory.CreateDirectory(input);
        var data = CliFixtures.WriteExtremeText(input, "syn", 100, 7);
        var before = File.ReadAllBytes(data);

        var result = CliRunner.Run("embed", data, "--dim", "4", "--out", input, "--overwrite");

        AssertOneLineError(result, $"contains the input {data}");
        Assert.Equal(before, File.ReadAllBytes(data));
        Assert.Equal(["syn_data.txt", "syn_labels.txt"], Directory.EnumerateFileSystemEntries(input).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Embed_refuses_the_working_directory()
    {
        // Given a working directory holding nothing but the input
        var work = Path.Combine(dir, "work");
        Directory.CreateDirectory(work);
        var data = CliFixtures.WriteExtremeText(dir, "syn", 100, 7);
        File.WriteAllText(Path.Combine(work, "keep.txt"), "mine");

        // When embed writes to "."
        var result = CliRunner.RunIn(work, "embed", data, "--dim", "4", "--out", ".", "--overwrite");

        // Then it is refused and the directory is as it was
        AssertOneLineError(result, "is the working directory");
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(work).Select(Path.GetFileName));
        Assert.Equal(["syn_data.txt", "syn_labels.txt", "work"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Embed_replaces_its_own_output_only_with_overwrite()
    {
        // Given an embedding of dimension 4
        var data = CliFixtures.WriteExtremeText(dir, "syn", 100, 7);
        var output = Path.Combine(dir, "emb");
        Assert.Equal(0, CliRunner.Run("embed", data, "--dim", "4", "--out", output).ExitCode);

        // When embed writes there again: without --overwrite, then with it
        var refused = CliRunner.Run("embed", data, "--dim", "3", "--out", output);
        Assert.Equal(4, LabelEmbedding.Load(output).Dimension);
        var replaced = CliRunner.Run("embed", data, "--dim", "3", "--out", output, "--overwrite");

        // Then the first is refused with the way out, the second replaces the folder whole
        AssertOneLineError(refused, $"{output} already holds an embedding; replace it with --overwrite, or choose another --out");
        Assert.True(replaced.ExitCode == 0, replaced.Err);
        Assert.Equal(3, LabelEmbedding.Load(output).Dimension);
        Assert.True(File.Exists(Path.Combine(output, "spectrum.png")));
        Assert.Equal(["emb", "syn_data.txt", "syn_labels.txt"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Add_label_rewrites_its_input_in_place_only_with_overwrite_and_never_a_folder_holding_it()
    {
        // Given an embedding and the counts of a new label
        var data = CliFixtures.WriteExtremeText(dir, "syn", 100, 7);
        var embedding = Path.Combine(dir, "emb");
        Assert.Equal(0, CliRunner.Run("embed", data, "--dim", "4", "--out", embedding).ExitCode);
        var counts = Path.Combine(dir, "new.csv");
        File.WriteAllLines(counts, ["label,count", "newtag,20", "tag0,20"]);

        // When the label is added in place without --overwrite, into the folder holding the embedding, and in place with --overwrite
        var refused = CliRunner.Run("add-label", embedding, "--name", "newtag", "--counts", counts, "--out", embedding);
        Assert.False(LabelEmbedding.Load(embedding).Vocabulary.Contains("newtag"));
        var parent = CliRunner.Run("add-label", embedding, "--name", "newtag", "--counts", counts, "--out", dir, "--overwrite");
        var inPlace = CliRunner.Run("add-label", embedding, "--name", "newtag", "--counts", counts, "--out", embedding, "--overwrite");

        // Then only the last writes
        AssertOneLineError(refused, "already holds an embedding; replace it with --overwrite");
        Assert.True(inPlace.ExitCode == 0, inPlace.Err);
        Assert.True(LabelEmbedding.Load(embedding).Vocabulary.Contains("newtag"));
        AssertOneLineError(parent, $"{dir} contains the input");
    }

    [Fact]
    public void Train_refuses_its_own_run_without_resume_or_overwrite()
    {
        var data = CliFixtures.WriteExtremeText(dir, "syn", 100, 7);
        var run = Path.Combine(dir, "run");
        string[] args = ["train", data, "--head", "sigmoid", "--out", run, "--steps", "3", "--hidden", "8"];
        Assert.Equal(0, CliRunner.Run(args).ExitCode);

        var again = CliRunner.Run(args);
        var both = CliRunner.Run([.. args, "--resume", "--overwrite"]);
        var replaced = CliRunner.Run([.. args, "--overwrite"]);

        AssertOneLineError(again, $"{run} already holds a training run; continue it with --resume, replace it with --overwrite, or choose another --out");
        CliRunner.OneUsageLine(both, "--resume continues the run in --out and --overwrite replaces it: give one or the other");
        Assert.True(replaced.ExitCode == 0, replaced.Err);
        Assert.Equal(["model", "train.jsonl", "training.png"], Directory.EnumerateFileSystemEntries(run).Select(Path.GetFileName).Order());
    }

    [Theory]
    [InlineData("train")]
    [InlineData("compare")]
    [InlineData("zeroshot")]
    [InlineData("noise")]
    [InlineData("generate")]
    [InlineData("pack")]
    [InlineData("demo")]
    public void Every_verb_that_writes_a_folder_refuses_one_it_did_not_write(string verb)
    {
        // Given a folder of the user's, and data and an embedding for the verbs that need them
        var data = CliFixtures.WriteExtremeText(dir, "syn", 60, 7);
        var embedding = Path.Combine(dir, "emb");
        var folder = UsersFolder();
        string[] args = verb switch
        {
            "train" => ["train", data, "--head", "sigmoid", "--steps", "2"],
            "compare" or "zeroshot" => [verb, data, data, "--embedding", embedding, "--steps", "2"],
            "noise" => [verb, data, data, "--embedding", embedding, "--steps", "2", "--drop", "0.3"],
            "generate" => ["generate", "--label-count", "20", "--instances", "50", "--test-instances", "10"],
            "pack" => ["pack", data],
            _ => ["demo"],
        };

        // When it is told to write there, with --overwrite
        var result = CliRunner.Run([.. args, "--out", folder, "--overwrite"]);

        // Then it is refused in one line, before reading anything, and the folder is untouched
        AssertOneLineError(result, "is not empty and is not");
        AssertUsersFolderUntouched(folder);
    }

    [Fact]
    public void Compare_writes_its_folder_whole_and_replaces_it_only_with_overwrite()
    {
        // Given data and an embedding
        var train = CliFixtures.WriteExtremeText(dir, "syn", 120, 7);
        var test = CliFixtures.WriteExtremeText(dir, "syntest", 40, 8);
        var embedding = Path.Combine(dir, "emb");
        Assert.Equal(0, CliRunner.Run("embed", train, "--dim", "4", "--out", embedding).ExitCode);
        var output = Path.Combine(dir, "cmp");
        string[] args = ["compare", train, test, "--embedding", embedding, "--steps", "4", "--eval-every", "2", "--hidden", "8", "--out", output, "--json"];

        // When compare runs, runs again, and runs with --overwrite
        var first = CliRunner.Run(args);
        var again = CliRunner.Run(args);
        var replaced = CliRunner.Run([.. args, "--overwrite"]);

        // Then the folder appears complete, is refused the second time, replaced the third, and nothing is left beside it
        Assert.True(first.ExitCode == 0, first.Err);
        AssertOneLineError(again, "already holds a comparison; replace it with --overwrite");
        Assert.True(replaced.ExitCode == 0, replaced.Err);
        foreach (var file in new[] { "results.md", "curves.csv", "convergence.png" }) Assert.True(File.Exists(Path.Combine(output, file)), file);
        Assert.Equal(["cmp", "emb", "syn_data.txt", "syn_labels.txt", "syntest_data.txt", "syntest_labels.txt"],
            Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Generate_replaces_its_own_world_only_with_overwrite()
    {
        var output = Path.Combine(dir, "world");
        string[] args = ["generate", "--label-count", "20", "--instances", "50", "--test-instances", "10", "--out", output];
        Assert.Equal(0, CliRunner.Run(args).ExitCode);

        var again = CliRunner.Run([.. args, "--seed", "3"]);
        var before = File.ReadAllText(Path.Combine(output, "train_data.txt"));
        var replaced = CliRunner.Run([.. args, "--seed", "3", "--overwrite"]);

        AssertOneLineError(again, "already holds a synthetic world; replace it with --overwrite");
        Assert.True(replaced.ExitCode == 0, replaced.Err);
        Assert.NotEqual(before, File.ReadAllText(Path.Combine(output, "train_data.txt")));
    }
}
