using System.Diagnostics;

namespace LabelSphere.Tests.Cli;

/// <summary>Runs the labelsphere tool as a user would: a separate process, its exit code, standard output and error.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Err);

    public static Result Run(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "LabelSphere.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) { process.Kill(true); throw new TimeoutException("labelsphere " + string.Join(" ", args)); }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "labelsphere-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
