using LabelSphere.Data;

namespace LabelSphere.Tests.Cli;

/// <summary>Skipping invalid rows never renumbers the instances after them, and every verb says how many it skipped.</summary>
[Collection(TorchCollection.Name)]
public sealed class SkippedRowsTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    /// <summary>Makes row <paramref name="row"/> (0-based, after the header) of an Extreme text file invalid.</summary>
    static void BreakRow(string path, int row)
    {
        var lines = File.ReadAllLines(path);
        lines[1 + row] = "x" + lines[1 + row];
        File.WriteAllLines(path, lines);
    }

    [Fact]
    public void Predict_skipping_an_invalid_row_keeps_the_original_row_numbers_and_says_how_many_it_skipped()
    {
        // Given a model, and test data whose row 1 is invalid
        var train = CliFixtures.WriteExtremeText(dir, "syn", 120, 7);
        var run = Path.Combine(dir, "run");
        var trained = CliRunner.Run("train", train, "--head", "sigmoid", "--model", "mlp", "--hidden", "8", "--steps", "10",
            "--validation", "0", "--out", run, "--json");
        Assert.True(trained.ExitCode == 0, trained.Err);
        var test = CliFixtures.WriteExtremeText(dir, "syntest", 6, 8);
        BreakRow(test, 1);

        // When it predicts the test data skipping invalid rows, and evaluates it
        var predicted = CliRunner.Run("predict", run, test, "--top", "1", "--skip-invalid");
        var evaluated = CliRunner.Run("evaluate", run, test, "--skip-invalid", "--json");

        // Then the instances are named by their rows in the file, 1 left out, and both verbs report the skip
        Assert.True(predicted.ExitCode == 0, predicted.Err);
        var instances = predicted.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split('\t')[0]);
        Assert.Equal(["0", "2", "3", "4", "5"], instances);
        Assert.Contains($"{test}: 1 invalid instances skipped; first: {test}:3:", predicted.Err);
        Assert.True(evaluated.ExitCode == 0, evaluated.Err);
        Assert.Contains($"{test}: 1 invalid instances skipped", evaluated.Err);
        using var summary = System.Text.Json.JsonDocument.Parse(evaluated.Out);
        Assert.Equal(1, summary.RootElement.GetProperty("skippedInvalid").GetInt32());
    }

    [Fact]
    public void Train_says_how_many_invalid_rows_it_skipped()
    {
        // Given training data whose row 4 is invalid
        var train = CliFixtures.WriteExtremeText(dir, "syn", 60, 7);
        BreakRow(train, 4);

        // When it trains skipping invalid rows
        var trained = CliRunner.Run("train", train, "--head", "sigmoid", "--model", "mlp", "--hidden", "8", "--steps", "5",
            "--validation", "0", "--out", Path.Combine(dir, "run"), "--skip-invalid", "--json");

        // Then it reports the skipped row with its line
        Assert.True(trained.ExitCode == 0, trained.Err);
        Assert.Contains($"{train}: 1 invalid instances skipped; first: {train}:6:", trained.Err);
        using var summary = System.Text.Json.JsonDocument.Parse(trained.Out);
        Assert.Equal(1, summary.RootElement.GetProperty("skippedInvalid").GetInt32());
        Assert.Equal(59, summary.RootElement.GetProperty("trainingInstances").GetInt32());
    }

    [Fact]
    public void Instances_of_files_without_ids_are_named_by_their_row_counting_skipped_ones()
    {
        // Given an ARFF file and an Extreme text file whose second and fourth rows are invalid
        var arffDir = Path.Combine(dir, "arff");
        Directory.CreateDirectory(arffDir);
        File.WriteAllText(Path.Combine(arffDir, "toy.xml"), "<labels xmlns=\"http://mulan.sourceforge.net/labels\"><label name=\"a\"/></labels>");
        var arff = Path.Combine(arffDir, "toy.arff");
        File.WriteAllText(arff, "@relation t\n@attribute f numeric\n@attribute a {0,1}\n@data\n1,1\n% a comment\nbad,1\n3,0\n\n4,x\n5,1\n");
        var text = Path.Combine(dir, "toy.txt");
        File.WriteAllText(text, "5 2 1\n0 0:1\nz 1:1\n0 1:1\n0 0:x\n 0:1\n");

        // When they are read skipping invalid rows
        foreach (var path in new[] { arff, text })
        {
            var set = AnnotationReader.Read(path, new ReaderOptions { SkipInvalid = true });

            // Then the three kept instances are rows 0, 2 and 4
            Assert.Equal(3, set.Count);
            Assert.Equal(["0", "2", "4"], Enumerable.Range(0, set.Count).Select(set.InstanceName));
        }
    }
}
