using System.Diagnostics;

namespace LabelSphere.Tests.Cli;

/// <summary>Runs the labelsphere tool as a user would: a separate process, its exit code, standard output and error.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Err);

    public static Result Run(params string[] args) => RunIn(null, args);

    /// <summary>Runs the tool in <paramref name="workingDirectory"/> (the test's own when null).</summary>
    public static Result RunIn(string? workingDirectory, params string[] args) => RunWith(workingDirectory, null, args);

    /// <summary>Runs the tool with <paramref name="environment"/> added to its environment variables.</summary>
    public static Result RunWith(string? workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var process = Start(args, workingDirectory, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) { process.Kill(true); throw new TimeoutException("labelsphere " + string.Join(" ", args)); }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the tool without waiting for it; standard output and error are redirected.</summary>
    public static Process Start(string[] args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "LabelSphere.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return Process.Start(start)!;
    }

    /// <summary>
    /// Whether <paramref name="signal"/> is ignored in this process (Linux: SigIgn of /proc/self/status), and so in
    /// every process it starts: a test run under nohup ignores SIGHUP, one started with &amp; by a non-interactive
    /// shell ignores SIGINT, and a test that signals a child would wait for it forever.
    /// </summary>
    public static bool Ignores(int signal) =>
        File.Exists("/proc/self/status")
        && File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) is { } line
        && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (signal - 1))) != 0;

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "labelsphere-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Asserts exit code 1 and one line "error: ..." that holds every fragment; returns the line.</summary>
    public static string OneErrorLine(Result result, params string[] fragments) => OneErrorLine(1, result, fragments);

    /// <summary>A command line that does not parse is a usage error: exit code 2, one line.</summary>
    public static string OneUsageLine(Result result, params string[] fragments) => OneErrorLine(2, result, fragments);

    public static string OneErrorLine(int exitCode, Result result, params string[] fragments)
    {
        Assert.True(result.ExitCode == exitCode, $"exit code {result.ExitCode}; stderr: {result.Err}");
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("error: ", line);
        foreach (var fragment in fragments) Assert.Contains(fragment, line);
        foreach (var leak in new[] { "(Parameter '", "Actual value was", "System.", "   at " }) Assert.DoesNotContain(leak, line);
        return line;
    }
}
