using System.Net;
using System.Text.Json.Nodes;
using LabelSphere.Serve;
using LabelSphere.Training;

namespace LabelSphere.Tests.Serve;

/// <summary>The embedding's queries over HTTP answer as the library's do; the page is served at /.</summary>
[Collection(TorchCollection.Name)]
public sealed class EmbeddingEndpointsTests : IAsyncLifetime
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    LabelClassifier classifier = null!;
    LabelService service = null!;
    readonly HttpClient http = new();

    public async ValueTask InitializeAsync()
    {
        classifier = ServeFixtures.Train(HeadKind.Joint, Token);
        service = LabelService.Create(classifier, new ServeOptions { Port = 0 });
        await service.StartAsync(Token);
        http.BaseAddress = service.Address;
    }

    public async ValueTask DisposeAsync()
    {
        await service.DisposeAsync();
        classifier.Dispose();
        http.Dispose();
    }

    [Fact]
    public async Task Neighbours_arithmetic_and_the_map_answer_as_the_embedding_does()
    {
        var embedding = classifier.Embedding!;

        var neighbours = await ServeFixtures.Ok<NeighbourList>(await http.GetAsync("/embedding/neighbours?label=tag4&k=5", Token), Token);
        Assert.Equal(embedding.Nearest("tag4", 5).Select(l => (l.Name, l.Score)), neighbours.Neighbours.Select(l => (l.Label, l.Score)));
        var byDefault = await ServeFixtures.Ok<NeighbourList>(await http.GetAsync("/embedding/neighbours?label=tag4", Token), Token);
        Assert.Equal(embedding.Nearest("tag4", 10).Select(l => l.Name), byDefault.Neighbours.Select(l => l.Label));

        var sum = await ServeFixtures.Ok<ArithmeticAnswer>(await http.GetAsync("/embedding/arithmetic?expression=" + Uri.EscapeDataString("tag0 + tag4 - tag2") + "&k=3", Token), Token);
        var expected = embedding.Arithmetic("tag0 + tag4 - tag2", 3);
        Assert.Equal(expected.Nearest.Select(l => (l.Name, l.Score)), sum.Nearest.Select(l => (l.Label, l.Score)));
        Assert.Equal([new ArithmeticTerm("+", "tag0"), new ArithmeticTerm("+", "tag4"), new ArithmeticTerm("-", "tag2")], sum.Terms);

        var map = await ServeFixtures.Ok<EmbeddingMap>(await http.GetAsync("/embedding/map", Token), Token);
        var direct = embedding.Map();
        Assert.Equal(classifier.Vocabulary.Names, map.Labels.Select(p => p.Label));
        Assert.Equal(direct.X, map.Labels.Select(p => p.X));
        Assert.Equal(direct.Y, map.Labels.Select(p => p.Y));
        Assert.Equal(embedding.LabelCounts.ToArray(), map.Labels.Select(p => p.Count));
        Assert.All(map.Labels, p => Assert.False(p.ZeroShot));

        // and the OpenAPI description lists the three, and POST /labels
        var openapi = JsonNode.Parse(await http.GetStringAsync("/openapi", Token))!;
        foreach (var path in new[] { "/embedding/neighbours", "/embedding/arithmetic", "/embedding/map" }) Assert.NotNull(openapi["paths"]![path]!["get"]);
        Assert.NotNull(openapi["paths"]!["/labels"]!["post"]);
    }

    [Theory]
    [InlineData("/embedding/neighbours?label=tag44", HttpStatusCode.NotFound, "unknown label 'tag44'; did you mean 'tag4'")]
    [InlineData("/embedding/neighbours", HttpStatusCode.BadRequest, "label: missing")]
    [InlineData("/embedding/neighbours?label=tag4&k=12", HttpStatusCode.BadRequest, "k: must be a whole number between 1 and 11, got '12'")]
    [InlineData("/embedding/neighbours?label=tag4&k=two", HttpStatusCode.BadRequest, "k: must be a whole number between 1 and 11, got 'two'")]
    [InlineData("/embedding/arithmetic?expression=tag0%20%2B%20tagg1", HttpStatusCode.NotFound, "unknown label 'tagg1'")]
    [InlineData("/embedding/arithmetic?expression=tag0%20-%20tag0", HttpStatusCode.BadRequest, "expression: 'tag0 - tag0' sums to the zero vector")]
    [InlineData("/embedding/arithmetic", HttpStatusCode.BadRequest, "expression: missing")]
    public async Task A_bad_query_is_refused_with_one_line(string path, HttpStatusCode status, string message)
    {
        using var response = await http.GetAsync(path, Token);
        await ServeFixtures.Refused(response, status, message, Token);
    }

    [Fact]
    public async Task The_page_and_its_script_are_served_from_the_assembly()
    {
        using var page = await http.GetAsync("/", Token);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(Token);
        Assert.Contains("<canvas id=\"map\"", html);
        using var script = await http.GetAsync("/app.js", Token);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Contains("embedding/neighbours", await script.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task A_model_without_an_embedding_says_so_to_the_page_and_on_each_query()
    {
        // Given a sigmoid model trained without an embedding
        using var sigmoid = ServeFixtures.Train(HeadKind.Sigmoid, Token);
        await using var plain = LabelService.Create(sigmoid, new ServeOptions { Port = 0 });
        await plain.StartAsync(Token);
        using var client = new HttpClient { BaseAddress = plain.Address };

        // Then /health tells the page to hide its embedding panel, and each query says why it has no answer
        var health = await ServeFixtures.Ok<Health>(await client.GetAsync("/health", Token), Token);
        Assert.Equal(new Health("ok", "sigmoid", 40, 12, ServedInput.Features, Embedding: false), health);
        foreach (var path in new[] { "/embedding/neighbours?label=tag0", "/embedding/arithmetic?expression=tag0", "/embedding/map" })
            await ServeFixtures.Refused(await client.GetAsync(path, Token), HttpStatusCode.NotFound, "the model (sigmoid head) was saved without a label embedding", Token);
    }
}
