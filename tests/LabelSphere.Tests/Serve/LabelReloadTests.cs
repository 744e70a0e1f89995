using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using LabelSphere.Embedding;
using LabelSphere.Serve;
using LabelSphere.Training;

namespace LabelSphere.Tests.Serve;

/// <summary>
/// A label added zero-shot is served without retraining or a restart: <c>POST /labels</c> (behind the admin token)
/// writes it into the model folder as <c>add-label</c> does and swaps the model in; SIGHUP makes <c>serve</c> reload a
/// folder that <c>add-label</c> changed. Requests under way keep the model they started with.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class LabelReloadTests : IAsyncLifetime
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    const string AdminToken = "test-admin-token-0123456789";

    string root = null!;
    string folder = null!;

    public ValueTask InitializeAsync()
    {
        // A joint-head model saved to a folder of its own, as train writes it.
        root = Cli.CliRunner.TempFolder();
        folder = Path.Combine(root, "model");
        using var trained = ServeFixtures.Train(HeadKind.Joint, Token);
        trained.Save(folder);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(root, true);
        return ValueTask.CompletedTask;
    }

    // A new label seen with tag0 on most of its instances and with tag3 on some: counts within both labels' counts.
    static object NewLabel(string name = "fresh") => new { label = name, counts = new Dictionary<string, long> { [name] = 20, ["tag0"] = 18, ["tag3"] = 6 } };

    /// <summary>The saved model loaded and served on a loopback port, with <paramref name="adminToken"/>.</summary>
    sealed class Served : IAsyncDisposable
    {
        public required LabelClassifier Classifier { get; init; }
        public required LabelService Service { get; init; }
        public required HttpClient Http { get; init; }

        public static async Task<Served> Start(string folder, string? adminToken)
        {
            var classifier = LabelClassifier.Load(folder);
            var service = LabelService.Create(classifier, new ServeOptions { Port = 0, AdminToken = adminToken });
            await service.StartAsync(Token);
            return new Served { Classifier = classifier, Service = service, Http = new HttpClient { BaseAddress = service.Address } };
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Service.DisposeAsync();
            Classifier.Dispose();
        }
    }

    static HttpRequestMessage Post(object body, string? token) => new(HttpMethod.Post, "/labels")
    {
        Content = JsonContent.Create(body),
        Headers = { Authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token) },
    };

    [Fact]
    public async Task Post_labels_writes_the_label_into_the_model_folder_and_serves_it_at_once()
    {
        // Given the saved model served with an admin token
        await using var served = await Served.Start(folder, AdminToken);
        var (classifier, http) = (served.Classifier, served.Http);

        // When a label is added with its counts
        using var response = await http.SendAsync(Post(NewLabel(), AdminToken), Token);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var added = await ServeFixtures.Ok<AddedLabel>(response, Token);

        // Then the folder holds it, placed as the library places it, and nothing is left beside the folder
        using var reloaded = LabelClassifier.Load(folder);
        Assert.Equal([.. classifier.Vocabulary.Names, "fresh"], reloaded.Vocabulary.Names);
        var counts = new long[12];
        counts[0] = 18;
        counts[3] = 6;
        var placed = classifier.Embedding!.AddLabel("fresh", 20, counts);
        Assert.Equal(placed.Vector(12).ToArray(), reloaded.Embedding!.Vector(12).ToArray());
        Assert.Equal(["model"], Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName));
        Assert.Equal(("fresh", 20L, 13), (added.Label, added.Count, added.Labels));
        Assert.Equal(placed.Nearest("fresh", 5).Select(l => l.Name), added.Neighbours.Select(l => l.Label));

        // and the service ranks it at once, as the model loaded from the folder does
        var labels = await ServeFixtures.Ok<LabelList>(await http.GetAsync("/labels", Token), Token);
        Assert.Equal(reloaded.Vocabulary.Names, labels.Labels);
        Assert.Equal(12, labels.Trained);
        var row = ServeFixtures.TestRows()[0];
        var answer = await ServeFixtures.Ok<PredictResponse>(await http.PostAsJsonAsync("/predict", new { instances = new[] { new { features = row } }, top = 13 }, Token), Token);
        Assert.Equal(reloaded.PredictBatch([row], 13, Token)[0].Select(l => (l.Name, l.Score)), answer.Predictions[0].Labels.Select(l => (l.Label, l.Score)));
        Assert.StartsWith("Ranks the 13 labels of a joint model", System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/openapi", Token))!["info"]!["description"]!.GetValue<string>());
        var neighbours = await ServeFixtures.Ok<NeighbourList>(await http.GetAsync("/embedding/neighbours?label=fresh&k=3", Token), Token);
        Assert.Equal(reloaded.Embedding.Nearest("fresh", 3).Select(l => l.Name), neighbours.Neighbours.Select(l => l.Label));

        // and the same label again is a conflict
        await ServeFixtures.Refused(await http.SendAsync(Post(NewLabel(), AdminToken), Token), HttpStatusCode.Conflict, "label: 'fresh' is already in the model", Token);
    }

    [Fact]
    public async Task Post_labels_needs_the_admin_token_and_is_disabled_without_one()
    {
        using var classifier = LabelClassifier.Load(folder);
        await using (var open = LabelService.Create(classifier, new ServeOptions { Port = 0 }))
        {
            await open.StartAsync(Token);
            using var http = new HttpClient { BaseAddress = open.Address };
            await ServeFixtures.Refused(await http.SendAsync(Post(NewLabel(), AdminToken), Token), HttpStatusCode.NotFound,
                "adding labels is disabled: the service was started without an admin token", Token);
        }
        await using var guarded = LabelService.Create(classifier, new ServeOptions { Port = 0, AdminToken = AdminToken });
        await guarded.StartAsync(Token);
        using var client = new HttpClient { BaseAddress = guarded.Address };
        using var anonymous = await client.SendAsync(Post(NewLabel(), null), Token);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        await ServeFixtures.Refused(anonymous, HttpStatusCode.Unauthorized, "adding labels needs the admin token", Token);
        await ServeFixtures.Refused(await client.SendAsync(Post(NewLabel(), AdminToken + "x"), Token), HttpStatusCode.Forbidden, "the admin token is wrong", Token);

        // Nothing was written
        Assert.Equal(12, LabelClassifier.Load(folder).Vocabulary.Count);
        Assert.Equal(["model"], Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("{\"label\": \"fresh\", \"counts\": {\"fresh\": 20, \"tagg0\": 3}}", "counts.tagg0: 'tagg0' is not in the embedding; did you mean 'tag0'")]
    [InlineData("{\"label\": \"fresh\", \"counts\": {\"tag0\": 3}}", "counts: no row gives the new label's own count")]
    [InlineData("{\"label\": \"fresh\", \"counts\": {\"fresh\": 2, \"tag0\": 3}}", "counts: the count with 'tag0' (3) exceeds the new label's own count (2)")]
    [InlineData("{\"label\": \"fresh\", \"counts\": {\"fresh\": -2}}", "counts.fresh: -2 is not a non-negative whole number")]
    [InlineData("{\"label\": \" \", \"counts\": {\"fresh\": 2}}", "label: missing or empty")]
    [InlineData("{\"label\": \"fresh\"}", "counts: missing")]
    [InlineData("{\"label\": \"fresh\", \"counts\": {\"fresh\": \"many\"}}", "the body is not a JSON object")]
    public async Task A_bad_new_label_is_refused_with_400_naming_the_field_and_nothing_is_written(string body, string message)
    {
        await using var served = await Served.Start(folder, AdminToken);
        var http = served.Http;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/labels")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", AdminToken) },
        };
        await ServeFixtures.Refused(await http.SendAsync(request, Token), HttpStatusCode.BadRequest, message, Token);
        Assert.Equal(12, LabelClassifier.Load(folder).Vocabulary.Count);
    }

    [Fact]
    public async Task Requests_under_way_while_a_label_is_added_each_get_one_models_whole_answer()
    {
        // Given the service, and what the model ranks before and after the label is added
        await using var served = await Served.Start(folder, AdminToken);
        var (classifier, http) = (served.Classifier, served.Http);
        var rows = ServeFixtures.TestRows();
        var before = classifier.PredictBatch(rows, 12, Token);

        // When 48 requests ranking every label are sent while the label is added
        var requests = Enumerable.Range(0, 48).Select(async i =>
        {
            using var response = await http.PostAsJsonAsync("/predict", new { instances = new[] { new { features = rows[i % rows.Length] } }, top = 12 }, Token);
            return (i, answer: (await ServeFixtures.Ok<PredictResponse>(response, Token)).Predictions[0]);
        }).ToList();
        using var add = await http.SendAsync(Post(NewLabel(), AdminToken), Token);
        Assert.Equal(HttpStatusCode.Created, add.StatusCode);
        var answers = await Task.WhenAll(requests);
        using var after = LabelClassifier.Load(folder);
        var afterRanks = after.PredictBatch(rows, 12, Token);

        // Then each answer is entirely the old model's or entirely the new one's (scores within 1e-6: a row's scores
        // may differ in the last bits with the size of the batch it was ranked in)
        static bool Same(LabelScore[] served, ScoredLabel[] expected) =>
            served.Select(l => l.Label).SequenceEqual(expected.Select(l => l.Name))
            && served.Zip(expected).All(p => Math.Abs(p.First.Score - p.Second.Score) <= 1e-6);
        foreach (var (i, answer) in answers)
            Assert.True(Same(answer.Labels, before[i % rows.Length]) || Same(answer.Labels, afterRanks[i % rows.Length]),
                $"request {i}: {string.Join(", ", answer.Labels.Select(l => $"{l.Label} {l.Score}"))}; before: {string.Join(", ", before[i % rows.Length].Select(l => $"{l.Name} {l.Score}"))}; after: {string.Join(", ", afterRanks[i % rows.Length].Select(l => $"{l.Name} {l.Score}"))}");
    }

    [Fact]
    public async Task Post_labels_to_a_sigmoid_model_is_refused_and_says_why()
    {
        var sigmoidFolder = Path.Combine(root, "sigmoid");
        using (var trained = ServeFixtures.Train(HeadKind.Sigmoid, Token)) trained.Save(sigmoidFolder);
        await using var served = await Served.Start(sigmoidFolder, AdminToken);
        await ServeFixtures.Refused(await served.Http.SendAsync(Post(NewLabel(), AdminToken), Token), HttpStatusCode.Conflict,
            "the sigmoid model has one output per training label and cannot rank a label added after training", Token);
    }

    [Fact]
    public async Task A_reload_of_a_folder_that_no_longer_loads_fails_and_the_model_before_goes_on_serving()
    {
        await using var served = await Served.Start(folder, null);
        File.WriteAllText(Path.Combine(folder, "manifest.json"), "{ not json");

        await Assert.ThrowsAsync<ModelFormatException>(() => served.Service.ReloadAsync(Token));

        var row = ServeFixtures.TestRows()[0];
        var answer = await ServeFixtures.Ok<PredictResponse>(await served.Http.PostAsJsonAsync("/predict", new { instances = new[] { new { features = row } } }, Token), Token);
        Assert.Equal(served.Classifier.PredictBatch([row], 5, Token)[0].Select(l => l.Name), answer.Predictions[0].Labels.Select(l => l.Label));
    }

    [Fact]
    public void The_admin_token_is_never_in_the_options_text()
    {
        var options = new ServeOptions { AdminToken = AdminToken };
        Assert.DoesNotContain(AdminToken, options.ToString());
        Assert.Contains("AdminToken = (set)", options.ToString());
    }

    [Fact]
    public void An_admin_token_file_that_is_missing_or_too_short_stops_serve_with_one_line()
    {
        Cli.CliRunner.OneErrorLine(Cli.CliRunner.Run("serve", folder, "--port", "0", "--admin-token-file", Path.Combine(root, "absent")), "--admin-token-file:", "does not exist");
        var tokenFile = Path.Combine(root, "token");
        File.WriteAllText(tokenFile, "short\n");
        Cli.CliRunner.OneErrorLine(Cli.CliRunner.Run("serve", folder, "--port", "0", "--admin-token-file", tokenFile), "--admin-token-file:", "at least 16 characters");
        var variable = new Dictionary<string, string> { ["LABELSPHERE_ADMIN_TOKEN"] = "two words for a token" };
        Cli.CliRunner.OneErrorLine(Cli.CliRunner.RunWith(null, variable, "serve", folder, "--port", "0"), "LABELSPHERE_ADMIN_TOKEN must hold one token", "without spaces");
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    const int SIGHUP = 1;

    // The blocked, pending, ignored and caught signal masks of /proc/<pid>/status (Linux; "" elsewhere): a server that
    // never answers SIGHUP shows there whether it ignores or blocks it.
    static string Signals(string status) => File.Exists(status)
        ? string.Join(", ", File.ReadLines(status).Where(l => l.StartsWith("Sig", StringComparison.Ordinal) || l.StartsWith("ShdPnd", StringComparison.Ordinal)))
        : "";

    [Fact]
    public async Task Sighup_makes_the_serve_verb_serve_a_label_add_label_wrote_and_the_token_file_opens_post_labels()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) Assert.Skip("SIGHUP is a POSIX signal");
        if (Cli.CliRunner.Ignores(SIGHUP)) Assert.Skip("SIGHUP is ignored in this test run (started under nohup?), and the server it starts inherits that");

        // Given the verb serving the model, with the admin token in a file
        var tokenFile = Path.Combine(root, "token");
        File.WriteAllText(tokenFile, AdminToken + "\n");
        using var process = Cli.CliRunner.Start(["serve", folder, "--port", "0", "--admin-token-file", tokenFile]);
        // A reply that never comes fails the test in minutes, with the server's signal masks, rather than stalling the run.
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(TimeSpan.FromMinutes(3));
        var token = patience.Token;
        try
        {
            var line = await process.StandardError.ReadLineAsync(token);
            Assert.NotNull(line);
            Assert.Contains("POST /labels with the admin token", line);
            Assert.DoesNotContain(AdminToken, line);
            using var http = new HttpClient { BaseAddress = new Uri(line.Split(" on ")[1].Split(';')[0]) };

            // When add-label writes a label into the folder, the service does not see it yet
            var counts = Path.Combine(root, "counts.csv");
            File.WriteAllLines(counts, ["label,count", "fresh,20", "tag0,18", "tag3,6"]);
            var added = Cli.CliRunner.Run("add-label", folder, "--name", "fresh", "--counts", counts, "--out", folder, "--overwrite");
            Assert.True(added.ExitCode == 0, added.Err);
            Assert.DoesNotContain("fresh", (await ServeFixtures.Ok<LabelList>(await http.GetAsync("/labels", token), token)).Labels);

            // and after SIGHUP it does
            Assert.Equal(0, kill(process.Id, SIGHUP));
            string? reloaded = null;
            try
            {
                reloaded = await process.StandardError.ReadLineAsync(token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"no line from the server in three minutes after SIGHUP; its signals: {Signals($"/proc/{process.Id}/status")}");
            }
            Assert.Equal($"reloaded {folder}: 13 labels (1 added zero-shot)", reloaded);
            Assert.Contains("fresh", (await ServeFixtures.Ok<LabelList>(await http.GetAsync("/labels", token), token)).Labels);

            // and POST /labels takes the token from the file
            using var response = await http.SendAsync(Post(NewLabel("fresher"), AdminToken), token);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal(14, (await ServeFixtures.Ok<LabelList>(await http.GetAsync("/labels", token), token)).Labels.Length);
            Assert.False(process.HasExited);
        }
        finally
        {
            process.Kill(true);
            await process.WaitForExitAsync(Token);
        }
        Assert.Equal(14, LabelClassifier.Load(folder).Vocabulary.Count);
    }
}
