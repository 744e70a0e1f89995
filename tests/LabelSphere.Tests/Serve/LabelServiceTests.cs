using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LabelSphere.Serve;
using LabelSphere.Training;

namespace LabelSphere.Tests.Serve;

/// <summary>
/// The HTTP service on a real loopback port chosen by the system: its answers equal <c>PredictBatch</c>'s, alone and
/// under concurrent requests, and bad or oversized requests get 400 or 413 with one line naming the field.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class LabelServiceTests : IAsyncLifetime
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    LabelClassifier classifier = null!;
    LabelService service = null!;
    readonly HttpClient http = new();
    float[][] rows = null!;

    public async ValueTask InitializeAsync()
    {
        classifier = ServeFixtures.Train(HeadKind.Joint, Token);
        service = LabelService.Create(classifier, new ServeOptions { Port = 0, MaxInstances = 8, MaxBatch = 16, MaxRequestBytes = 16_000 });
        await service.StartAsync(Token);
        http.BaseAddress = service.Address;
        rows = ServeFixtures.TestRows();
    }

    public async ValueTask DisposeAsync()
    {
        await service.DisposeAsync();
        classifier.Dispose();
        http.Dispose();
    }

    static object Dense(float[] row) => new { features = row };

    static object Sparse(float[] row)
    {
        var indices = Enumerable.Range(0, row.Length).Where(c => row[c] != 0).ToArray();
        return new { indices, values = indices.Select(c => row[c]).ToArray() };
    }

    async Task<PredictResponse> Predict(object body)
    {
        using var response = await http.PostAsJsonAsync("/predict", body, Token);
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonSerializer.Deserialize<PredictResponse>(text, JsonSerializerOptions.Web)!;
    }

    void AssertPredicts(PredictResponse response, float[][] instances, int top)
    {
        var expected = classifier.PredictBatch(instances, top, Token);
        Assert.Equal(instances.Length, response.Predictions.Length);
        for (int i = 0; i < instances.Length; i++)
        {
            Assert.Equal(expected[i].Select(l => l.Name), response.Predictions[i].Labels.Select(l => l.Label));
            for (int t = 0; t < top; t++) Assert.Equal(expected[i][t].Score, response.Predictions[i].Labels[t].Score, 1e-6);
        }
    }

    [Fact]
    public async Task Dense_and_sparse_instances_get_predicts_labels_and_scores()
    {
        var instances = rows[..6];
        AssertPredicts(await Predict(new { instances = instances.Select(Dense).ToArray(), top = 4 }), instances, 4);
        AssertPredicts(await Predict(new { instances = instances.Select(Sparse).ToArray(), top = 4 }), instances, 4);
        // Without top, five labels each.
        AssertPredicts(await Predict(new { instances = new[] { Dense(rows[7]), Sparse(rows[8]) } }), [rows[7], rows[8]], 5);
    }

    [Fact]
    public async Task Concurrent_requests_each_get_their_own_instances_predictions()
    {
        // Given 24 requests of one to three instances each, sent at once with different top p
        var requests = Enumerable.Range(0, 24).Select(i =>
        {
            var instances = Enumerable.Range(0, 1 + i % 3).Select(j => rows[(i + j) % rows.Length]).ToArray();
            return (instances, top: 1 + i % 6);
        }).ToArray();

        // When they are answered
        var responses = await Task.WhenAll(requests.Select(r => Predict(new { instances = r.instances.Select(Dense).ToArray(), r.top })));

        // Then each answer is predict's for its own instances and top p, whichever batch they shared
        for (int i = 0; i < requests.Length; i++) AssertPredicts(responses[i], requests[i].instances, requests[i].top);
        Assert.Equal(requests.Sum(r => r.instances.Length), service.Batches.Instances);
    }

    [Fact]
    public async Task Labels_and_health_describe_the_model_and_openapi_describes_the_service()
    {
        var labels = await http.GetFromJsonAsync<LabelList>("/labels", JsonSerializerOptions.Web, Token);
        Assert.Equal(classifier.Vocabulary.Names, labels!.Labels);
        Assert.Equal(12, labels.Trained);
        var health = await http.GetFromJsonAsync<Health>("/health", JsonSerializerOptions.Web, Token);
        Assert.Equal(new Health("ok", "joint", 40, 12, ServedInput.Features, Embedding: true), health);
        var openapi = JsonNode.Parse(await http.GetStringAsync("/openapi", Token))!;
        Assert.NotNull(openapi["paths"]!["/predict"]!["post"]);
        Assert.NotNull(openapi["paths"]!["/labels"]);
        Assert.Equal("LabelSphere", openapi["info"]!["title"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{", "the body is not valid JSON")]
    [InlineData("[]", "the body must be a JSON object")]
    [InlineData("{\"top\": 3}", "instances: missing")]
    [InlineData("{\"instances\": []}", "instances: empty")]
    [InlineData("{\"instances\": [{\"features\": [1, 2]}]}", "instances[0].features: 2 values; the model takes 40 features")]
    [InlineData("{\"instances\": [{\"indices\": [0, 40], \"values\": [1, 1]}]}", "instances[0].indices[1]: 40 is not a feature index between 0 and 39")]
    [InlineData("{\"instances\": [{\"indices\": [3, 3], \"values\": [1, 1]}]}", "instances[0].indices[1]: feature 3 is given twice")]
    [InlineData("{\"instances\": [{\"indices\": [3], \"values\": [1, 2]}]}", "instances[0].indices: 1 indices for 2 values")]
    [InlineData("{\"instances\": [{\"indices\": [3]}]}", "instances[0].values: missing")]
    [InlineData("{\"instances\": [{\"indices\": [3], \"values\": [\"a\"]}]}", "instances[0].values[0]: \"a\" is not a finite number")]
    [InlineData("{\"instances\": [{}]}", "instances[0]: needs 'features'")]
    [InlineData("{\"instances\": [{\"indices\": [3], \"values\": [1]}], \"top\": 13}", "top: must be a whole number between 1 and the number of labels (12), got 13")]
    public async Task A_bad_request_is_refused_with_400_and_one_line_naming_the_field(string body, string message)
    {
        using var response = await http.PostAsync("/predict", new StringContent(body, Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<Error>(JsonSerializerOptions.Web, Token);
        Assert.StartsWith(message, error!.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    // A body of unknown length (sent chunked): the limit is met while reading it.
    sealed class Unseekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task Too_many_instances_or_bytes_are_refused_with_413()
    {
        // More instances than a request takes (8)
        var many = new { instances = rows[..9].Select(Sparse).ToArray() };
        using var tooMany = await http.PostAsJsonAsync("/predict", many, Token);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooMany.StatusCode);
        Assert.Equal("instances: 9 instances; a request takes at most 8", (await tooMany.Content.ReadFromJsonAsync<Error>(JsonSerializerOptions.Web, Token))!.Message);

        // A body past the 16,000 bytes a request takes, with its length declared and streamed without one
        var large = JsonSerializer.Serialize(new { instances = new[] { new { features = Enumerable.Repeat(0.123456789f, 2000).ToArray() } } });
        using var declared = await http.PostAsync("/predict", new StringContent(large, Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        using var streamed = await http.PostAsync("/predict", new StreamContent(new Unseekable(Encoding.UTF8.GetBytes(large))) { Headers = { ContentType = new("application/json") } }, Token);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);

        // and the service still answers after them
        AssertPredicts(await Predict(new { instances = new[] { Dense(rows[0]) } }), [rows[0]], 5);
    }

    [Fact]
    public async Task The_serve_verb_serves_a_saved_model_on_the_port_it_names()
    {
        // Given the model saved to a folder
        var folder = Cli.CliRunner.TempFolder();
        try
        {
            classifier.Save(Path.Combine(folder, "model"));

            // When the verb serves it on a free port
            using var process = Cli.CliRunner.Start(["serve", Path.Combine(folder, "model"), "--port", "0"]);
            try
            {
                var line = await process.StandardError.ReadLineAsync(Token);
                Assert.NotNull(line);
                var address = line.Split(" on ")[1].Split(';')[0];

                // Then it answers as the library does
                using var client = new HttpClient { BaseAddress = new Uri(address) };
                var health = await client.GetFromJsonAsync<Health>("/health", JsonSerializerOptions.Web, Token);
                Assert.Equal(new Health("ok", "joint", 40, 12, ServedInput.Features, Embedding: true), health);
                using var response = await client.PostAsJsonAsync("/predict", new { instances = new[] { Sparse(rows[0]) }, top = 3 }, Token);
                AssertPredicts(JsonSerializer.Deserialize<PredictResponse>(await response.Content.ReadAsStringAsync(Token), JsonSerializerOptions.Web)!, [rows[0]], 3);
            }
            finally
            {
                process.Kill(true);
                await process.WaitForExitAsync(Token);
            }
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
