using System.Text;

namespace LabelSphere.Tests.Cli;

/// <summary>Training data that carries none (or too few) of the vocabulary's labels is refused or warned about.</summary>
[Collection(TorchCollection.Name)]
public sealed class LabelledShareTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void Training_with_an_embedding_of_another_data_set_is_an_error_naming_the_data_and_the_embedding()
    {
        // Given training data labelled tag0..tag11, and an embedding of a data set whose labels are other0..other11
        var train = CliFixtures.WriteExtremeText(dir, "syn", 60, 7);
        var other = CliFixtures.WriteExtremeText(dir, "other", 60, 8);
        File.WriteAllLines(Path.Combine(dir, "other_labels.txt"), Enumerable.Range(0, 12).Select(i => $"other{i}"));
        var embedding = Path.Combine(dir, "emb");
        Assert.Equal(0, CliRunner.Run("embed", other, "--dim", "4", "--out", embedding).ExitCode);

        // When train, compare and zeroshot are given them
        var results = new[]
        {
            CliRunner.Run("train", train, "--embedding", embedding, "--model", "mlp", "--hidden", "8", "--steps", "5", "--out", Path.Combine(dir, "run")),
            CliRunner.Run("compare", train, train, "--embedding", embedding, "--hidden", "8", "--steps", "5", "--out", Path.Combine(dir, "cmp")),
        };

        // Then each fails in one line naming the data and the embedding, and writes no model
        foreach (var result in results)
        {
            var line = CliRunner.OneErrorLine(result);
            Assert.Contains(train, line);
            Assert.Contains(Path.GetFullPath(embedding), line);
            Assert.Contains("training instances carries one of the 12 labels of embedding", line);
        }
        Assert.False(Directory.Exists(Path.Combine(dir, "run", "model")));
    }

    [Fact]
    public void Training_warns_below_half_labelled_and_refuses_below_min_labelled()
    {
        // Given 20 instances of which 5 carry a label
        var text = new StringBuilder("20 3 2\n");
        for (int r = 0; r < 20; r++) text.Append(r < 5 ? $"{r % 2} {r % 3}:1\n" : $" {r % 3}:1\n");
        var data = Path.Combine(dir, "few.txt");
        File.WriteAllText(data, text.ToString());

        // When the baseline trains on them, with the default minimum and with --min-labelled 0.5
        string[] common = ["--head", "sigmoid", "--model", "mlp", "--hidden", "4", "--steps", "3", "--validation", "0"];
        var warned = CliRunner.Run(["train", data, .. common, "--out", Path.Combine(dir, "a")]);
        var refused = CliRunner.Run(["train", data, .. common, "--out", Path.Combine(dir, "b"), "--min-labelled", "0.5"]);

        // Then the first trains with one warning line, and the second is refused naming the option
        Assert.True(warned.ExitCode == 0, warned.Err);
        Assert.Contains($"warning: {data}: only 5 of its 20 training instances (25.0%) carry a label", warned.Err);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("error: --min-labelled: ", refused.Err);
        Assert.Contains("the minimum share asked for is 50%", refused.Err);
    }
}
