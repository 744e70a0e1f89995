using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
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
            var indices = Enumerable.Range(0, features.Columns).Where(c => rows[r][c] != 0).ToArray();
            requests[r] = JsonSerializer.Serialize(new { instances = new[] { new { indices, values = indices.Select(c => rows[r][c]).ToArray() } }, top });
        }
        var expected = classifier.PredictBatch(rows, top);

        await using var service = LabelService.Create(classifier, new ServeOptions { Port = 0 });
        await service.StartAsync();
        using var http = new HttpClient { BaseAddress = service.Address };
        var latencies = new List<double>[clients];
        int sent = 0, errors = 0, differences = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var mine = latencies[client] = [];
            while (clock.Elapsed < duration)
            {
                int n = Interlocked.Increment(ref sent) - 1;
                if (n >= limit) break;
                int row = n % rows.Length;
                var start = Stopwatch.GetTimestamp();
                try
                {
                    using var content = new StringContent(requests[row], System.Text.Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync("/predict", content);
                    var body = await response.Content.ReadAsStringAsync();
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if (!response.IsSuccessStatusCode) { Interlocked.Increment(ref errors); continue; }
                    var labels = JsonSerializer.Deserialize<PredictResponse>(body, JsonSerializerOptions.Web)!.Predictions[0].Labels;
                    bool same = labels.Length == expected[row].Length;
                    for (int t = 0; same && t < labels.Length; t++)
                        same = labels[t].Label == expected[row][t].Name && Math.Abs(labels[t].Score - expected[row][t].Score) <= 1e-6;
                    if (!same) Interlocked.Increment(ref differences);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })));
        clock.Stop();
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Percentile(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)];
        var (batches, instances) = service.Batches;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"serve-load: {all.Length} requests from {clients} clients in {clock.Elapsed.TotalSeconds:F1} s: {all.Length / clock.Elapsed.TotalSeconds:F0} requests/s, " +
            $"p50 {Percentile(0.5):F2} ms, p99 {Percentile(0.99):F2} ms, {errors} errors, {differences} answers differing from predict; " +
            $"{batches} batches of {(batches == 0 ? 0 : (double)instances / batches):F1} instances on average ({classifier.Vocabulary.Count} labels, {features.Columns} features, top {top})"));
        return errors == 0 && differences == 0 && all.Length > 0 ? 0 : 1;
    }
}
