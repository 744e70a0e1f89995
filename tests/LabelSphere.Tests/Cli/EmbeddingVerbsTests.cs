using System.Text.Json;

namespace LabelSphere.Tests.Cli;

[Collection(TorchCollection.Name)]
public sealed class EmbeddingVerbsTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    string WriteLongCsv()
    {
        // Two scenes that keep to themselves, and a label (kite) that only goes with the beach scene.
        var lines = new List<string> { "image,label" };
        for (int i = 0; i < 30; i++)
        {
            lines.Add($"b{i},beach"); lines.Add($"b{i},sea");
            if (i % 2 == 0) lines.Add($"b{i},sand");
            if (i % 3 == 0) lines.Add($"b{i},kite");
            lines.Add($"c{i},car"); lines.Add($"c{i},road");
            if (i % 2 == 0) lines.Add($"c{i},truck");
        }
        var path = Path.Combine(dir, "tags.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Embed_leaves_no_progress_line_behind_when_standard_error_is_not_a_terminal()
    {
        // Given standard error redirected to a file, as a log or a pipe has it
        var data = WriteLongCsv();

        // When embed runs to the end
        var embed = CliRunner.Run("embed", data, "--dim", "3", "--out", Path.Combine(dir, "emb"));

        // Then it succeeds and standard error holds no step frozen at its start ("eigenpairs (k = 3): 0%")
        Assert.True(embed.ExitCode == 0, embed.Err);
        Assert.DoesNotContain("%", embed.Err);
        Assert.DoesNotContain("eigenpairs", embed.Err);
    }

    [Fact]
    public void Embed_then_neighbors_arithmetic_and_add_label_work_end_to_end()
    {
        // Given a long CSV of two scenes
        var data = WriteLongCsv();
        var embedding = Path.Combine(dir, "emb");

        // When it is embedded with k = 3
        var embed = CliRunner.Run("embed", data, "--dim", "3", "--out", embedding, "--json");

        // Then the summary reports the set and the folder holds the manifest, arrays and plot
        Assert.True(embed.ExitCode == 0, embed.Err);
        using (var summary = JsonDocument.Parse(embed.Out))
        {
            Assert.Equal(7, summary.RootElement.GetProperty("labels").GetInt32());
            Assert.Equal(60, summary.RootElement.GetProperty("instances").GetInt64());
            Assert.Equal(3, summary.RootElement.GetProperty("dimension").GetInt32());
        }
        foreach (var file in new[] { "manifest.json", "embedding.npy", "eigenvalues.npy", "label_counts.npy", "spectrum.png" })
            Assert.True(File.Exists(Path.Combine(embedding, file)), file);

        // When the neighbours of beach are asked for as JSON
        var near = CliRunner.Run("neighbors", embedding, "beach", "--top", "2", "--json");

        // Then they are its scene mates, best first
        Assert.True(near.ExitCode == 0, near.Err);
        using (var json = JsonDocument.Parse(near.Out))
        {
            var names = json.RootElement.GetProperty("neighbors").EnumerateArray().Select(e => e.GetProperty("label").GetString()).ToArray();
            Assert.Equal(2, names.Length);
            Assert.All(names, n => Assert.Contains(n, new[] { "sea", "sand", "kite" }));
        }

        var sum = CliRunner.Run("arithmetic", embedding, "car + sea", "--json");
        Assert.True(sum.ExitCode == 0, sum.Err);
        using (var json = JsonDocument.Parse(sum.Out))
            Assert.Equal(2, json.RootElement.GetProperty("terms").GetArrayLength());

        // When a label seen on 8 beach images is added zero-shot
        var counts = Path.Combine(dir, "surf.csv");
        File.WriteAllLines(counts, ["label,count", "surf,8", "beach,8", "sea,8", "kite,3"]);
        var extended = Path.Combine(dir, "emb2");
        var add = CliRunner.Run("add-label", embedding, "--name", "surf", "--counts", counts, "--out", extended, "--top", "3", "--json");

        // Then it lands among the beach labels and the saved folder knows it
        Assert.True(add.ExitCode == 0, add.Err);
        using (var json = JsonDocument.Parse(add.Out))
            Assert.All(json.RootElement.GetProperty("neighbors").EnumerateArray(),
                e => Assert.Contains(e.GetProperty("label").GetString(), new[] { "beach", "sea", "sand", "kite" }));
        var again = CliRunner.Run("neighbors", extended, "surf", "--json");
        Assert.True(again.ExitCode == 0, again.Err);
    }

    [Fact]
    public void Bad_input_gives_one_line_naming_file_line_and_field_and_exit_code_1()
    {
        // Given a wide CSV whose second data row holds -7 under 'sea'
        var path = Path.Combine(dir, "bad.csv");
        File.WriteAllLines(path, ["image,beach,sea", "a,1,0", "b,1,-7"]);

        // When it is embedded
        var result = CliRunner.Run("embed", path, "--out", Path.Combine(dir, "never"));

        // Then one error line names the file, line 3 and the field, no stack trace, and nothing is written
        Assert.Equal(1, result.ExitCode);
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(lines, l => l.StartsWith("error:"));
        Assert.Contains("bad.csv:3", error);
        Assert.Contains("sea", error);
        Assert.DoesNotContain("   at ", result.Err);
        Assert.False(Directory.Exists(Path.Combine(dir, "never")));

        // When the bad row is skipped instead, the summary counts it
        var skipped = CliRunner.Run("embed", path, "--out", Path.Combine(dir, "ok"), "--skip-invalid", "--dim", "1", "--json");
        Assert.True(skipped.ExitCode == 0, skipped.Err);
        using var json = JsonDocument.Parse(skipped.Out);
        Assert.Equal(1, json.RootElement.GetProperty("skippedInvalid").GetInt32());
    }

    [Fact]
    public void Embed_shows_the_plan_it_chose_and_warns_when_the_randomized_solver_is_asked_for()
    {
        var data = WriteLongCsv();

        // When embed runs with its defaults, then with the randomized solver on sparse storage
        var auto = CliRunner.Run("embed", data, "--dim", "2", "--out", Path.Combine(dir, "auto"), "--json");
        var randomized = CliRunner.Run("embed", data, "--dim", "2", "--out", Path.Combine(dir, "randomized"), "--json",
            "--solver", "randomized", "--storage", "sparse");

        // Then --json names the storage, the solver and why; only the randomized run warns, in one line
        Assert.Equal(0, auto.ExitCode);
        var plan = JsonDocument.Parse(auto.Out).RootElement.GetProperty("plan");
        Assert.Equal("dense", plan.GetProperty("storage").GetString());
        Assert.Equal("exact", plan.GetProperty("solver").GetString());
        Assert.Contains("whole spectrum", plan.GetProperty("reason").GetString());
        Assert.DoesNotContain("warning:", auto.Err);
        Assert.Equal(0, randomized.ExitCode);
        Assert.Equal("sparse", JsonDocument.Parse(randomized.Out).RootElement.GetProperty("plan").GetProperty("storage").GetString());
        Assert.Single(randomized.Err.Split('\n'), line => line.StartsWith("warning: the randomized eigensolver is approximate", StringComparison.Ordinal));
    }

    [Fact]
    public void A_dimension_beyond_the_label_count_is_refused_with_the_rule()
    {
        var result = CliRunner.Run("embed", WriteLongCsv(), "--dim", "400", "--out", Path.Combine(dir, "never"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("between 1 and the number of labels (7), got 400", result.Err);
    }

    [Fact]
    public void An_unknown_label_suggests_close_names_and_exits_with_1()
    {
        var embedding = Path.Combine(dir, "emb");
        Assert.Equal(0, CliRunner.Run("embed", WriteLongCsv(), "--dim", "2", "--out", embedding).ExitCode);
        var result = CliRunner.Run("neighbors", embedding, "baech");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("did you mean 'beach'", result.Err);
    }

    [Fact]
    public void A_counts_file_naming_an_unknown_label_is_refused_with_its_line()
    {
        var embedding = Path.Combine(dir, "emb");
        Assert.Equal(0, CliRunner.Run("embed", WriteLongCsv(), "--dim", "2", "--out", embedding).ExitCode);
        var counts = Path.Combine(dir, "counts.csv");
        File.WriteAllLines(counts, ["label,count", "surf,8", "baech,3"]);
        var result = CliRunner.Run("add-label", embedding, "--name", "surf", "--counts", counts, "--out", Path.Combine(dir, "x"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("counts.csv:3: label", result.Err);
        Assert.Contains("'beach'", result.Err);
    }
}
