using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LabelSphere.Serve;
using LabelSphere.Training;

namespace LabelSphere.Tests.Serve;

/// <summary>A model trained on raw text is served raw text: the service vectorises it as the model's training text was.</summary>
[Collection(TorchCollection.Name)]
public sealed class TextServiceTests
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    internal static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestData", "text");

    /// <summary>A small sigmoid model fitted on the topics corpus as raw text.</summary>
    internal static LabelClassifier FitTopics() =>
        LabelClassifier.Fit(LabelData.Read(Path.Combine(Folder, "topics_train.txt")), new LabelClassifierOptions
        {
            Training = new TrainingOptions { Head = HeadKind.Sigmoid, Hidden = [16], BatchSize = 32, Steps = 20, EvalEvery = 0 },
            ValidationFraction = 0,
        }, cancellationToken: Token);

    [Fact]
    public async Task Text_sent_to_a_model_of_text_gets_the_scores_of_its_batch_prediction()
    {
        // Given a model fitted on the topics corpus as raw text, served on a loopback port
        using var classifier = FitTopics();
        await using var service = LabelService.Create(classifier, new ServeOptions { Port = 0 });
        await service.StartAsync(Token);
        using var http = new HttpClient { BaseAddress = service.Address };
        var testPath = Path.Combine(Folder, "topics_test.tsv");
        var texts = File.ReadLines(testPath).Take(8).Select(l => l.Split('\t')[^1]).ToArray();

        // When the test documents' text is posted
        using var response = await http.PostAsJsonAsync("/predict", new { instances = texts.Select(t => new { text = t }), top = 3 }, Token);
        var body = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var served = JsonSerializer.Deserialize<PredictResponse>(body, JsonSerializerOptions.Web)!;

        // Then each answer is the library's prediction for the same document read from the file
        var expected = classifier.PredictBatch(LabelData.Read(testPath), top: 3, cancellationToken: Token);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(expected[i].Select(l => l.Name), served.Predictions[i].Labels.Select(l => l.Label));
            for (int j = 0; j < 3; j++) Assert.Equal(expected[i][j].Score, served.Predictions[i].Labels[j].Score, 1e-5f);
        }

        // and a feature vector sent to it is a 400 naming the instance
        using var vector = await http.PostAsJsonAsync("/predict", new { instances = new[] { new { features = new float[classifier.FeatureCount!.Value] } } }, Token);
        Assert.Equal(HttpStatusCode.BadRequest, vector.StatusCode);
        Assert.Contains("instances[0]: needs 'text'", await vector.Content.ReadAsStringAsync(Token));
    }
}
