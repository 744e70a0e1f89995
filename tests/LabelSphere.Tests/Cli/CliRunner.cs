using System.Diagnostics;

namespace LabelSphere.Tests.Cli;

/// <summary>Runs the labelsphere tool as a user would: a separate process, its exit code, standard output and error.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Err);

    public static Result Run(params string[] args) => RunIn(null, args);

    /// <summary>Runs the tool in <paramref name="workingDirectory"/> (the test's own when null).</summary>
    public static Result RunIn(string? workingDirectory, params string[] args)
    {
        using var process = Start(args, workingDirectory);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) { process.Kill(true); throw new TimeoutException("labelsphere " + string.Join(" ", args)); }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the tool without waiting for it; standard output and error are redirected.</summary>
    public static Process Start(string[] args, string? workingDirectory = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "LabelSphere.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        return Process.Start(start)!;
    }

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "labelsphere-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
