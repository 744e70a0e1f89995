using System.Globalization;
using System.Net.Http.Json;
using LabelSphere.Data;
using LabelSphere.Serve;

namespace LabelSphere.Benchmarks;

/// <summary>
/// <c>serve-load MODEL DATA [--clients 16] [--seconds 30] [--requests 100000] [--top 5]</c>: starts the HTTP service on a
/// loopback port of its own, sends one-instance requests (the data's rows, sparse) from concurrent clients for a bounded
/// time and count, and reports requests/s, p50/p99 latency, errors and whether every answer equals
/// <see cref="LabelClassifier.PredictBatch(IReadOnlyList{float[]}, int, CancellationToken)"/>'s; exit code 1 on any error or difference.
/// </summary>
internal static class ServeLoad
{
    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: serve-load MODEL DATA [--clients 16] [--seconds 30] [--requests 100000] [--top 5]");
            return 2;
        }
        int clients = Option(args, "--clients", 16), seconds = Option(args, "--seconds", 30), limit = Option(args, "--requests", 100_000), top = Option(args, "--top", 5);
        return RunAsync(args[0], args[1], clients, TimeSpan.FromSeconds(seconds), limit, top).GetAwaiter().GetResult();
    }

    static int Option(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    static async Task<int> RunAsync(string modelPath, string dataPath, int clients, TimeSpan duration, int limit, int top)
    {
        using var classifier = LabelClassifier.Load(modelPath);
        var features = AnnotationReader.Read(dataPath).Features ?? throw new ArgumentException($"{dataPath}: has no feature vectors");
        var rows = new float[features.Rows][];
        var requests = new string[features.Rows];
        for (int r = 0; r < rows.Length; r++)
        {
            rows[r] = new float[features.Columns];
            features.CopyRowTo(r, rows[r]);
            requests[r] = LoadClients.SparseRequest(rows[r], top);
        }
        var expected = classifier.PredictBatch(rows, top);

        await using var service = LabelService.Create(classifier, new ServeOptions { Port = 0 });
        await service.StartAsync();
        using var http = new HttpClient { BaseAddress = service.Address };
        var report = await LoadClients.RunAsync(http, requests, expected, clients, duration, limit, tolerance: 1e-6);
        var (batches, instances) = service.Batches;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"serve-load: {report.Requests} requests from {clients} clients in {report.Elapsed.TotalSeconds:F1} s: {report.RequestsPerSecond:F0} requests/s, " +
            $"p50 {report.Percentile(0.5):F2} ms, p99 {report.Percentile(0.99):F2} ms, {report.Errors} errors, {report.Differences} answers differing from predict; " +
            $"{batches} batches of {(batches == 0 ? 0 : (double)instances / batches):F1} instances on average ({classifier.Vocabulary.Count} labels, {features.Columns} features, top {top})"));
        return report.Errors == 0 && report.Differences == 0 && report.Requests > 0 ? 0 : 1;
    }
}
