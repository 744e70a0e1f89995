using System.Diagnostics;
using System.Text.Json;
using LabelSphere.Embedding;
using LabelSphere.Tests.Cli;
using LabelSphere.Training;

namespace LabelSphere.Tests.Reliability;

/// <summary>
/// The tool killed with SIGKILL at seeded points of its writes (embed, train with checkpoints, add-label), and two
/// runs into one folder: the output is absent or complete and loadable, the next successful run leaves no temporary
/// folder, files beside it are never touched, and a killed training run resumes to its end.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class FaultInjectionTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();
    readonly string notes;

    public FaultInjectionTests()
    {
        // A file of the user's beside every output: no run may touch it.
        notes = Path.Combine(dir, "notes.txt");
        File.WriteAllText(notes, "the user's own file");
    }

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void Embed_killed_at_any_point_leaves_no_folder_or_a_complete_one()
    {
        // Given annotations and an output folder beside the user's file
        var data = CliFixtures.WriteExtremeText(dir, "syn", 2000, 7);
        var output = Path.Combine(dir, "emb");
        string[] args = ["embed", data, "--dim", "4", "--out", output, "--overwrite", "--json"];
        var random = new Random(2026);

        // When embed is killed while its temporary folder is being written (twice) and after a seeded delay
        foreach (var point in new[] { KillPoint.Writing(output, random), KillPoint.Writing(output, random), KillPoint.After(random, 200, 1500) })
        {
            RunAndKill(args, point);

            // Then the folder is absent or a complete embedding with its figure, and the user's file is untouched
            AssertAbsentOrCompleteEmbedding(output);
            Assert.Equal("the user's own file", File.ReadAllText(notes));
        }

        // And the next run completes and leaves nothing beside its folder
        var done = CliRunner.Run(args);
        Assert.True(done.ExitCode == 0, done.Err);
        AssertCompleteEmbedding(output);
        Assert.Equal(["emb", "notes.txt", "syn_data.txt", "syn_labels.txt"], Entries(dir));
    }

    [Fact]
    public void Train_killed_during_checkpoints_resumes_to_the_end()
    {
        // Given a run that checkpoints every 4 steps
        var data = CliFixtures.WriteExtremeText(dir, "syn", 300, 7);
        var run = Path.Combine(dir, "run");
        string[] args = ["train", data, "--head", "sigmoid", "--out", run, "--steps", "600", "--batch-size", "8", "--hidden", "16",
                         "--log-every", "5", "--checkpoint-every", "4", "--eval-every", "0", "--validation", "0", "--json"];
        var random = new Random(8);

        // When it is killed in the middle of a checkpoint, then again (resuming) after a seeded delay
        bool killed = RunAndKill(args, KillPoint.Checkpointing(run));
        Assert.True(killed, "the run ended before it could be killed");
        AssertRunFolderIsConsistent(run);
        bool killedAgain = RunAndKill([.. args, "--resume"], KillPoint.After(random, 1200, 2500));
        AssertRunFolderIsConsistent(run);
        Assert.Equal("the user's own file", File.ReadAllText(notes));

        // Then --resume finishes the run (unless the resumed run got there before its kill: its model is in place,
        // and the kill may have come before it drew training.png): every step logged once, in order, a loadable
        // model, nothing left beside it
        bool completeBeforeKill = killedAgain && Directory.Exists(Path.Combine(run, "model"));
        if (completeBeforeKill)
            CliRunner.OneErrorLine(CliRunner.Run([.. args, "--resume"]), "is already complete");
        else if (killedAgain)
        {
            var done = CliRunner.Run([.. args, "--resume"]);
            Assert.True(done.ExitCode == 0, done.Err);
            using var summary = JsonDocument.Parse(done.Out);
            Assert.True(summary.RootElement.GetProperty("resumed").GetBoolean());
            Assert.Equal(600, summary.RootElement.GetProperty("steps").GetInt32());
        }
        var steps = File.ReadAllLines(Path.Combine(run, "train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32());
        Assert.Equal(Enumerable.Range(1, 120).Select(i => 5 * i), steps);
        ModelFolder.ReadManifest(Path.Combine(run, "model"));
        string[] expected = completeBeforeKill && !File.Exists(Path.Combine(run, "training.png"))
            ? ["model", "train.jsonl"] : ["model", "train.jsonl", "training.png"];
        Assert.Equal(expected, Entries(run));
        Assert.Equal(["notes.txt", "run", "syn_data.txt", "syn_labels.txt"], Entries(dir));
    }

    [Fact]
    public void Add_label_killed_at_any_point_leaves_no_folder_or_a_complete_one()
    {
        // Given an embedding and the counts of a new label
        var data = CliFixtures.WriteExtremeText(dir, "syn", 300, 7);
        var embedding = Path.Combine(dir, "emb");
        Assert.Equal(0, CliRunner.Run("embed", data, "--dim", "4", "--out", embedding).ExitCode);
        var counts = Path.Combine(dir, "new.csv");
        File.WriteAllLines(counts, ["label,count", "newtag,20", "tag0,20", "tag3,12"]);
        var output = Path.Combine(dir, "extended");
        string[] args = ["add-label", embedding, "--name", "newtag", "--counts", counts, "--out", output, "--overwrite", "--json"];
        var random = new Random(11);

        // When add-label is killed while writing and after seeded delays
        foreach (var point in new[] { KillPoint.Writing(output, random), KillPoint.After(random, 300, 1200) })
        {
            RunAndKill(args, point);

            // Then the output is absent or a complete embedding holding the new label; the input is unchanged
            if (Directory.Exists(output)) Assert.True(LabelEmbedding.Load(output).Vocabulary.Contains("newtag"));
            Assert.False(LabelEmbedding.Load(embedding).Vocabulary.Contains("newtag"));
            Assert.Equal("the user's own file", File.ReadAllText(notes));
        }

        // And the next run completes and leaves nothing beside its folder
        var done = CliRunner.Run(args);
        Assert.True(done.ExitCode == 0, done.Err);
        Assert.True(LabelEmbedding.Load(output).Vocabulary.Contains("newtag"));
        Assert.Equal(["emb", "extended", "new.csv", "notes.txt", "syn_data.txt", "syn_labels.txt"], Entries(dir));
    }

    [Fact]
    public async Task Of_two_runs_into_one_folder_the_second_fails_at_once_and_the_first_is_not_mixed()
    {
        // Given two training runs with different seeds started together into one folder
        var data = CliFixtures.WriteExtremeText(dir, "syn", 300, 7);
        var run = Path.Combine(dir, "run");
        string[] Args(string seed) => ["train", data, "--head", "sigmoid", "--out", run, "--steps", "3000", "--batch-size", "8", "--hidden", "16",
                                       "--log-every", "100", "--eval-every", "0", "--validation", "0", "--seed", seed, "--overwrite", "--json"];
        var ct = TestContext.Current.CancellationToken;
        using var one = CliRunner.Start(Args("1"));
        using var two = CliRunner.Start(Args("2"));
        var outputs = new[] { one.StandardOutput.ReadToEndAsync(ct), two.StandardOutput.ReadToEndAsync(ct) };
        var errors = new[] { one.StandardError.ReadToEndAsync(ct), two.StandardError.ReadToEndAsync(ct) };
        await one.WaitForExitAsync(ct);
        await two.WaitForExitAsync(ct);

        // Then one completes and the other failed with one line naming the folder and the first one's process
        var processes = new[] { one, two };
        int winner = Array.FindIndex(processes, p => p.ExitCode == 0);
        Assert.True(winner >= 0, $"neither run completed: {await errors[0]} / {await errors[1]}");
        var loser = processes[1 - winner];
        Assert.Equal(1, loser.ExitCode);
        Assert.Equal($"error: --out: {run} is being written by another LabelSphere process (pid {processes[winner].Id}); wait for it to finish or choose another folder",
            (await errors[1 - winner]).Trim());

        // And the folder holds the winner's run alone: its log, every step once, its model
        using (var summary = JsonDocument.Parse(await outputs[winner]))
            Assert.Equal(3000, summary.RootElement.GetProperty("steps").GetInt32());
        var steps = File.ReadAllLines(Path.Combine(run, "train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32());
        Assert.Equal(Enumerable.Range(1, 30).Select(i => 100 * i), steps);
        Assert.Equal(winner + 1, ModelFolder.ReadManifest(Path.Combine(run, "model")).Options.Seed);
        Assert.Equal(["model", "train.jsonl", "training.png"], Entries(run));
        Assert.Equal(["notes.txt", "run", "syn_data.txt", "syn_labels.txt"], Entries(dir));
    }

    /// <summary>When to kill: after a condition holds (polled without pause) and a further delay.</summary>
    sealed record KillPoint(string Name, Func<bool> Condition, TimeSpan Delay)
    {
        // While the folder's temporary sibling exists: the files are being written or renamed.
        public static KillPoint Writing(string target, Random random) => new($"writing {Path.GetFileName(target)}",
            () => Siblings(target, ".tmp-").Length > 0, TimeSpan.FromMilliseconds(random.Next(0, 30)));

        // While a checkpoint is being written or swapped, once a first one exists: at once, as it lasts milliseconds.
        public static KillPoint Checkpointing(string run)
        {
            var checkpoint = Path.Combine(run, "checkpoint");
            bool first = false;
            return new("checkpointing", () =>
            {
                first |= File.Exists(Path.Combine(checkpoint, "manifest.json"));
                return first && (Siblings(checkpoint, ".tmp-").Length > 0 || Siblings(checkpoint, ".old-").Length > 0);
            }, TimeSpan.Zero);
        }

        public static KillPoint After(Random random, int fromMs, int toMs) => new("after a delay", () => true, TimeSpan.FromMilliseconds(random.Next(fromMs, toMs)));
    }

    // Starts the tool and SIGKILLs it at the point; returns whether it was still running then.
    static bool RunAndKill(string[] args, KillPoint point)
    {
        using var process = CliRunner.Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && !point.Condition() && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.SpinWait(1000);
        if (point.Delay > TimeSpan.Zero) Thread.Sleep(point.Delay);
        bool running = !process.HasExited;
        if (running) process.Kill();
        process.WaitForExit();
        _ = stdout.Result + stderr.Result;
        if (!running) Assert.True(process.ExitCode == 0, $"{point.Name}: exit code {process.ExitCode}: {stderr.Result}");
        return running;
    }

    static string[] Siblings(string target, string role) =>
        Directory.Exists(Path.GetDirectoryName(target)) ? Directory.GetFileSystemEntries(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}{role}*") : [];

    static string[] Entries(string folder) => Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    static void AssertAbsentOrCompleteEmbedding(string folder)
    {
        if (Directory.Exists(folder)) AssertCompleteEmbedding(folder);
    }

    static void AssertCompleteEmbedding(string folder)
    {
        Assert.Equal(4, LabelEmbedding.Load(folder).Dimension);
        var png = File.ReadAllBytes(Path.Combine(folder, "spectrum.png"));
        Assert.True(png.Length > 8 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "spectrum.png is not a PNG");
    }

    // A killed run's folder: its model absent or whole, its checkpoint absent or whole.
    static void AssertRunFolderIsConsistent(string run)
    {
        var model = Path.Combine(run, "model");
        if (Directory.Exists(model)) ModelFolder.ReadManifest(model);
        var checkpoint = Path.Combine(run, "checkpoint");
        if (!Directory.Exists(checkpoint)) return;
        foreach (var file in new[] { "manifest.json", "optimizer.bin", "rng_state.bin" }) Assert.True(File.Exists(Path.Combine(checkpoint, file)), file);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpoint, "manifest.json")));
        Assert.True(manifest.RootElement.GetProperty("state").GetProperty("step").GetInt32() > 0);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(checkpoint, "weights"), "*.npy"));
    }
}
