using System.Diagnostics;
using System.Text.Json;
using LabelSphere.IO;
using LabelSphere.Native;

namespace LabelSphere.Tests.Cli;

/// <summary>
/// <c>labelsphere train --distributed mpi</c> launched as a user launches it: the built tool under Open MPI's
/// <c>mpirun</c>, two ranks on this machine over loopback TCP. Skipped with a reason when mpirun or libmpi.so.40 is
/// absent (.ci/run installs Debian's openmpi-bin and libopenmpi-dev).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class DistributedTrainingTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    const string Mpirun = "/usr/bin/mpirun";

    static void SkipWithoutMpi()
    {
        if (!File.Exists(Mpirun) || !Mpi.Installed)
            Assert.Skip($"Open MPI is absent ({Mpirun} or libmpi.so.40): install Debian's openmpi-bin and libopenmpi-dev (.ci/run does) to run the data-parallel tests");
    }

    /// <summary>Starts the tool under mpirun with <paramref name="ranks"/> ranks.</summary>
    static Process StartMpi(int ranks, params string[] args)
    {
        var start = new ProcessStartInfo(Mpirun) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // As root in a container, on loopback only; -q leaves mpirun's own banners out, so standard error holds the tool's lines.
        foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "-q", "-np", ranks.ToString(), "--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo",
                                  "--mca", "oob_tcp_if_include", "lo", "dotnet", Path.Combine(AppContext.BaseDirectory, "LabelSphere.Cli.dll") })
            start.ArgumentList.Add(a);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        return Process.Start(start)!;
    }

    static CliRunner.Result Finish(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3))) { process.Kill(true); throw new TimeoutException("mpirun did not end"); }
        return new CliRunner.Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Two_ranks_of_64_end_where_one_process_of_128_ends()
    {
        SkipWithoutMpi();
        // Given 300 instances (5% without labels: the cosine loss averages over labelled rows only, the binary one over
        // all) and an embedding; batches of 128 leave 44 rows at each epoch's end, all of rank 0's slice, none of rank 1's
        var train = CliFixtures.WriteExtremeText(dir, "syn", 300, 7);
        var embedding = Path.Combine(dir, "emb");
        Assert.Equal(0, CliRunner.Run("embed", train, "--dim", "6", "--out", embedding).ExitCode);
        string[] common = ["train", train, "--embedding", embedding, "--head", "joint", "--hidden", "32", "--dropout", "0", "--steps", "8",
                           "--validation", "0.1", "--eval-every", "4", "--log-every", "1", "--seed", "3", "--json"];

        // When one process trains with batch 128, and two ranks under mpirun with batch 64 each
        var single = CliRunner.Run([.. common, "--out", Path.Combine(dir, "single"), "--batch-size", "128"]);
        Assert.True(single.ExitCode == 0, single.Err);
        var two = Finish(StartMpi(2, [.. common, "--out", Path.Combine(dir, "two"), "--batch-size", "64", "--distributed", "mpi"]));
        Assert.True(two.ExitCode == 0, two.Err);

        // Then every weight agrees within 1e-4 of its tensor's largest magnitude (RMSprop divides by the root of a
        // running square, which magnifies the rounding of a sum taken in another order), every step's loss within 1e-5
        // relative, and the validation measured on rank 0 alike; the model records the run's batch, 128
        var weights = Path.Combine(dir, "single", "model", "weights");
        var files = Directory.GetFiles(weights, "*.npy");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var (a, _) = Npy.Read<float>(file);
            var (b, _) = Npy.Read<float>(Path.Combine(dir, "two", "model", "weights", Path.GetFileName(file)));
            float scale = 0, difference = 0;
            for (int i = 0; i < a.Length; i++) (scale, difference) = (Math.Max(scale, Math.Abs(a[i])), Math.Max(difference, Math.Abs(a[i] - b[i])));
            Assert.True(difference <= 1e-4 * scale, $"{Path.GetFileName(file)}: largest difference {difference:G3} against largest magnitude {scale:G3}");
        }
        var losses = Losses(Path.Combine(dir, "single")).Zip(Losses(Path.Combine(dir, "two"))).ToList();
        Assert.Equal(8, losses.Count);
        foreach (var (a, b) in losses) Assert.True(Math.Abs(a - b) <= 1e-5 * Math.Abs(a), $"loss {a} in one process, {b} on two ranks");
        using var one = JsonDocument.Parse(single.Out);
        using var both = JsonDocument.Parse(two.Out);
        Assert.Equal(one.RootElement.GetProperty("validation").GetProperty("precisionAt1").GetDouble(),
                     both.RootElement.GetProperty("validation").GetProperty("precisionAt1").GetDouble());
        Assert.Equal(128, BatchSize(Path.Combine(dir, "two")));
        // and rank 1 printed and wrote nothing: standard output is one JSON document (parsed above), standard error
        // what one process prints, and the run folder holds what one process writes
        Assert.Equal(single.Err, two.Err);
        Assert.Equal(Entries(Path.Combine(dir, "single")), Entries(Path.Combine(dir, "two")));
    }

    [Fact]
    public void A_killed_rank_stops_the_job_with_one_line_and_a_checkpoint_that_one_process_resumes()
    {
        SkipWithoutMpi();
        // Given a two-rank run that checkpoints every 5 steps
        var train = CliFixtures.WriteExtremeText(dir, "syn", 300, 7);
        var run = Path.Combine(dir, "run");
        string[] common = ["train", train, "--head", "sigmoid", "--hidden", "64", "--dropout", "0", "--steps", "3000", "--validation", "0",
                           "--eval-every", "0", "--checkpoint-every", "5", "--out", run, "--json"];
        using var mpirun = StartMpi(2, [.. common, "--batch-size", "64", "--distributed", "mpi"]);
        // Read by the process's own threads: the test polls the file system meanwhile and must not wait on a task.
        var stdout = new System.Text.StringBuilder();
        var stderr = new System.Text.StringBuilder();
        mpirun.OutputDataReceived += (_, e) => { lock (stdout) stdout.AppendLine(e.Data); };
        mpirun.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        mpirun.BeginOutputReadLine();
        mpirun.BeginErrorReadLine();

        // When rank 1 is killed (SIGKILL) once the first checkpoint is written
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(run, "checkpoint", "manifest.json")) && !mpirun.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2))
            Thread.Sleep(10);
        Assert.False(mpirun.HasExited, "the run ended before a rank could be killed: " + stderr);
        var ranks = Ranks(mpirun.Id);
        Assert.True(ranks.Length == 2, $"mpirun has {ranks.Length} child processes, not 2 ranks: {string.Join(", ", ranks)}");
        int rank1 = ranks[1];
        Process.GetProcessById(rank1).Kill();
        Assert.True(mpirun.WaitForExit(TimeSpan.FromMinutes(1)), "mpirun did not end after a rank was killed");
        mpirun.WaitForExit();

        // Then the job stopped: one line naming rank 1 and the checkpoint, mpirun's exit code not 0, and the checkpoint whole
        Assert.NotEqual(0, mpirun.ExitCode);
        var line = Assert.Single(stderr.ToString().Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains($"rank 1 (pid {rank1}", line);
        Assert.Contains(Path.Combine(run, "checkpoint"), line);
        Assert.Contains("--batch-size 128", line);
        Assert.DoesNotContain("\"completed\"", stdout.ToString());

        // and one process with batch 128 resumes it from that checkpoint to the end
        var resumed = CliRunner.Run([.. common, "--batch-size", "128", "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.Err);
        using var summary = JsonDocument.Parse(resumed.Out);
        Assert.True(summary.RootElement.GetProperty("resumed").GetBoolean());
        Assert.True(summary.RootElement.GetProperty("completed").GetBoolean());
        Assert.Equal(3000, summary.RootElement.GetProperty("steps").GetInt32());
    }

    [Fact]
    public void Distributed_training_outside_mpirun_is_a_usage_error()
    {
        // Given training data, when train asks for --distributed mpi without being started by mpirun
        var train = CliFixtures.WriteExtremeText(dir, "syn", 50, 7);
        var result = CliRunner.Run("train", train, "--head", "sigmoid", "--out", Path.Combine(dir, "run"), "--steps", "2", "--distributed", "mpi");

        // Then one usage line says how to launch it, and nothing was written
        CliRunner.OneUsageLine(result, "--distributed mpi", "mpirun -np N");
        Assert.False(Directory.Exists(Path.Combine(dir, "run")));
    }

    [Fact]
    public void A_verb_that_does_not_train_over_mpi_refuses_distributed_with_a_usage_line()
    {
        var train = CliFixtures.WriteExtremeText(dir, "syn", 50, 7);
        var result = CliRunner.Run("embed", train, "--dim", "4", "--out", Path.Combine(dir, "emb"), "--distributed", "mpi");
        CliRunner.OneUsageLine(result, "--distributed");
    }

    /// <summary>
    /// The process ids of the ranks mpirun started on this machine, by rank: its children in the order they started
    /// (mpirun starts local ranks in rank order; their environment, which names the rank, is not readable in every
    /// container).
    /// </summary>
    static int[] Ranks(int mpirun)
    {
        var children = new List<(long Start, int Pid)>();
        foreach (var folder in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid)) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(folder, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            // Fields after the command's closing parenthesis: state, ppid, …, starttime (the 22nd field overall).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(fields[1]) == mpirun) children.Add((long.Parse(fields[19]), pid));
        }
        return [.. children.Order().Select(c => c.Pid)];
    }

    static List<double> Losses(string run) =>
        [.. File.ReadLines(Path.Combine(run, "train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble())];

    static int BatchSize(string run)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run, "model", "manifest.json")));
        return manifest.RootElement.GetProperty("options").GetProperty("batchSize").GetInt32();
    }

    static string[] Entries(string folder) =>
        [.. Directory.GetFileSystemEntries(folder, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(folder, p)).Order()];
}
