using LabelSphere.Benchmarks;
using LabelSphere.Data;
using LabelSphere.Serve;
using LabelSphere.Tests.Training;
using LabelSphere.Training;

namespace LabelSphere.Tests.Serve;

/// <summary>
/// The short version of the serve-load benchmark: a correctness test of concurrency, not of speed. It asserts no
/// timing; its time bound only stops it.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ServeLoadTests
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Three_hundred_requests_from_eight_concurrent_clients_all_get_predicts_answers()
    {
        // Given a small joint-head model of the synthetic world, served on a loopback port of its own
        var world = TrainingFixtures.Synthetic(300);
        using var classifier = LabelClassifier.Fit(new LabelData(new AnnotationSet(world.Vocabulary, world.Labels,
            new ReadReport("synthetic", AnnotationFormat.ExtremeText, world.Count, 0, 0, []), world.Features)), new LabelClassifierOptions
        {
            Training = new TrainingOptions { Head = HeadKind.Joint, Hidden = [16], BatchSize = 32, Steps = 30, LearningRate = 3e-3, EvalEvery = 0 },
            Embedding = world.Embed(6),
            ValidationFraction = 0,
        }, cancellationToken: Token);
        var test = TrainingFixtures.Synthetic(60, seed: 42);
        var rows = new float[test.Count][];
        for (int r = 0; r < rows.Length; r++)
        {
            rows[r] = new float[test.Features.Columns];
            test.Features.CopyRowTo(r, rows[r]);
        }
        var requests = rows.Select(row => LoadClients.SparseRequest(row, 5)).ToArray();
        var expected = classifier.PredictBatch(rows, 5, Token);
        await using var service = LabelService.Create(classifier, new ServeOptions { Port = 0 });
        await service.StartAsync(Token);
        using var http = new HttpClient { BaseAddress = service.Address };

        // When 8 clients send 300 one-instance requests between them (stopped after 5 minutes at the latest)
        var report = await LoadClients.RunAsync(http, requests, expected, clients: 8, TimeSpan.FromMinutes(5), limit: 300, tolerance: 1e-5, Token);

        // Then every request was answered, none with an error, each with predict's labels and scores, and the
        // service ranked them in batches that together held exactly the 300 instances
        Assert.Equal(300, report.Requests);
        Assert.Equal(0, report.Errors);
        Assert.Equal(0, report.Differences);
        Assert.Equal(300, service.Batches.Instances);
    }
}
