using System.Diagnostics;
using System.Text.Json;
using LabelSphere.Embedding;
using LabelSphere.Serve;

namespace LabelSphere.Benchmarks;

/// <summary>What a <see cref="LoadClients.RunAsync"/> run saw.</summary>
/// <param name="Requests">Requests answered (successfully or not).</param>
/// <param name="Errors">Requests answered with an error status, or not answered.</param>
/// <param name="Differences">Successful answers whose labels or scores differ from the expected ones.</param>
/// <param name="Elapsed">Wall time of the run.</param>
/// <param name="Latencies">Each answered request's latency in milliseconds, ascending.</param>
internal sealed record LoadReport(int Requests, int Errors, int Differences, TimeSpan Elapsed, double[] Latencies)
{
    /// <summary>The latency below which a share <paramref name="p"/> of the requests were answered, in milliseconds.</summary>
    public double Percentile(double p) => Latencies.Length == 0 ? double.NaN : Latencies[Math.Min(Latencies.Length - 1, (int)Math.Ceiling(p * Latencies.Length) - 1)];

    /// <summary>Requests answered per second.</summary>
    public double RequestsPerSecond => Requests / Elapsed.TotalSeconds;
}

/// <summary>
/// Concurrent clients posting one-instance requests to a running service (on loopback) for a bounded time and count,
/// each answer checked against the prediction expected for its instance. Shared by the serve-load benchmark and the
/// short load test of the test suite, which links this file.
/// </summary>
internal static class LoadClients
{
    /// <summary>
    /// Sends request n (from 0 up to <paramref name="limit"/>, or until <paramref name="duration"/> has passed) as the
    /// JSON body <paramref name="requests"/>[n mod count] from <paramref name="clients"/> concurrent clients, and compares
    /// its answer with <paramref name="expected"/>[n mod count]: the same labels in order (labels whose scores tie within
    /// <paramref name="tolerance"/> in either order) and scores within <paramref name="tolerance"/>.
    /// </summary>
    public static async Task<LoadReport> RunAsync(HttpClient http, string[] requests, ScoredLabel[][] expected, int clients, TimeSpan duration, int limit,
                                                  double tolerance, CancellationToken cancellationToken = default)
    {
        var latencies = new List<double>[clients];
        int sent = 0, errors = 0, differences = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var mine = latencies[client] = [];
            while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                int n = Interlocked.Increment(ref sent) - 1;
                if (n >= limit) break;
                int row = n % requests.Length;
                var start = Stopwatch.GetTimestamp();
                try
                {
                    using var content = new StringContent(requests[row], System.Text.Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync("/predict", content, cancellationToken);
                    var body = await response.Content.ReadAsStringAsync(cancellationToken);
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if (!response.IsSuccessStatusCode) { Interlocked.Increment(ref errors); continue; }
                    var labels = JsonSerializer.Deserialize<PredictResponse>(body, JsonSerializerOptions.Web)!.Predictions[0].Labels;
                    if (!Same(labels, expected[row], tolerance)) Interlocked.Increment(ref differences);
                }
                catch (HttpRequestException)
                {
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    Interlocked.Increment(ref errors);
                }
            }
        }, cancellationToken)));
        clock.Stop();
        return new LoadReport(latencies.Sum(l => l.Count), errors, differences, clock.Elapsed, [.. latencies.SelectMany(l => l).Order()]);
    }

    /// <summary>The JSON body of a request for the top <paramref name="top"/> labels of one instance, sent sparse.</summary>
    public static string SparseRequest(float[] row, int top)
    {
        var indices = Enumerable.Range(0, row.Length).Where(c => row[c] != 0).ToArray();
        return JsonSerializer.Serialize(new { instances = new[] { new { indices, values = indices.Select(c => row[c]).ToArray() } }, top });
    }

    static bool Same(LabelScore[] served, ScoredLabel[] expected, double tolerance)
    {
        if (served.Length != expected.Length) return false;
        for (int t = 0; t < served.Length; t++)
        {
            if (Math.Abs(served[t].Score - expected[t].Score) > tolerance) return false;
            if (served[t].Label != expected[t].Name && !expected.Any(e => e.Name == served[t].Label && Math.Abs(e.Score - expected[t].Score) <= tolerance)) return false;
        }
        return true;
    }
}
