using System.Globalization;
using System.Text.Json;
using LabelSphere.Embedding;
using LabelSphere.Serve;
using LabelSphere.Tests.Cli;
using LabelSphere.Tests.Onnx;
using LabelSphere.Training;
using LabelSphere.Training.Images;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LabelSphere.Tests.Serve;

/// <summary>
/// The page at <c>/</c> in a real browser: Debian's chromium, driven by Playwright (its driver runs on the node it
/// ships; no browser is downloaded). Skipped with a reason when /usr/bin/chromium is absent (.ci/run installs it).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ServePageBrowserTests
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    const string Chromium = "/usr/bin/chromium";

    /// <summary>Starts Debian's chromium headless, without the sandbox (tests may run as root) and without network chatter.</summary>
    internal static Task<IBrowser> Launch(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new()
    {
        ExecutablePath = Chromium,
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });

    [Fact]
    public async Task The_page_ranks_a_pasted_row_as_predict_does_lists_neighbours_and_names_a_hovered_map_point()
    {
        if (!File.Exists(Chromium)) Assert.Skip($"{Chromium} is absent: install Debian's chromium (apt-get install chromium chromium-driver; .ci/run does) to run the browser test");

        // Given a joint-head model of the synthetic world served on a loopback port, and the page open in chromium
        using var classifier = ServeFixtures.Train(HeadKind.Joint, Token);
        await using var service = LabelService.Create(classifier, new ServeOptions { Port = 0 });
        await service.StartAsync(Token);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Launch(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1000, Height = 1500 } });
        await page.GotoAsync(service.Address.ToString());
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-ready", "true");
        await Expect(page.Locator("#model")).ToContainTextAsync("joint head · 12 labels · takes 40 features");
        var screenshots = Path.Combine(Path.GetTempPath(), "labelsphere-page-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(screenshots);
        try
        {
            var rows = ServeFixtures.TestRows();

            // When a sparse row is pasted and ranked, Then the labels and scores are PredictBatch's, in order
            var sparse = string.Join(" ", Enumerable.Range(0, rows[0].Length).Where(c => rows[0][c] != 0).Select(c => FormattableString.Invariant($"{c}:{rows[0][c]}")));
            await page.FillAsync("#row", sparse);
            await page.FillAsync("#top", "4");
            await page.ClickAsync("#predict");
            var expected = classifier.PredictBatch([rows[0]], 4, Token)[0];
            await Expect(page.Locator("#ranked .label")).ToHaveTextAsync(expected.Select(l => l.Name).ToArray());
            await Expect(page.Locator("#ranked .score")).ToHaveTextAsync(expected.Select(l => l.Score.ToString("F4", CultureInfo.InvariantCulture)).ToArray());

            // and a dense row (commas) too
            await page.FillAsync("#row", string.Join(", ", rows[1].Select(v => v.ToString(CultureInfo.InvariantCulture))));
            await page.ClickAsync("#predict");
            await Expect(page.Locator("#ranked .label")).ToHaveTextAsync(classifier.PredictBatch([rows[1]], 4, Token)[0].Select(l => l.Name).ToArray());
            await page.ScreenshotAsync(new() { Path = Path.Combine(screenshots, "page.png"), FullPage = true });

            // and a row of the wrong width shows the service's one line
            await page.FillAsync("#row", "1, 2, 3");
            await page.ClickAsync("#predict");
            await Expect(page.Locator("#predict-error")).ToHaveTextAsync("instances[0].features: 3 values; the model takes 40 features");

            // When a label's neighbours are asked, Then they are the embedding's
            await page.FillAsync("#label", "tag4");
            await page.FillAsync("#neighbours-k", "5");
            await page.ClickAsync("#neighbours");
            await Expect(page.Locator("#neighbour-list .label")).ToHaveTextAsync(classifier.Embedding!.Nearest("tag4", 5).Select(l => l.Name).ToArray());
            await page.FillAsync("#label", "tag44");
            await page.ClickAsync("#neighbours");
            await Expect(page.Locator("#neighbours-error")).ToContainTextAsync("unknown label 'tag44'; did you mean");

            // When the mouse rests on a point of the map (the one farthest from the others, so that no other is as near)
            var points = JsonSerializer.Deserialize<MapPointOnCanvas[]>(
                await page.EvaluateAsync<string>("() => JSON.stringify(labelMap.points.map(p => ({ label: p.label, x: p.px, y: p.py })))"), JsonSerializerOptions.Web)!;
            Assert.Equal(classifier.Vocabulary.Names, points.Select(p => p.Label));
            var lonely = points.MaxBy(p => points.Where(q => q != p).Min(q => (q.X - p.X) * (q.X - p.X) + (q.Y - p.Y) * (q.Y - p.Y)))!;
            await page.Locator("#map").HoverAsync(new() { Position = new() { X = (float)lonely.X, Y = (float)lonely.Y } });

            // Then its name appears
            await Expect(page.Locator("#map-hover")).ToHaveTextAsync(lonely.Label);
            await Expect(page.Locator("#map-tip")).ToContainTextAsync(lonely.Label);
            await page.Locator("#embedding-panel").ScreenshotAsync(new() { Path = Path.Combine(screenshots, "map.png") });
            foreach (var file in new[] { "page.png", "map.png" })
                Assert.True(new FileInfo(Path.Combine(screenshots, file)).Length > 10_000, $"{file} is nearly empty");
        }
        finally
        {
            Directory.Delete(screenshots, true);
        }
    }

    [Fact]
    public async Task The_page_of_a_model_of_images_ranks_a_chosen_or_dropped_photo_as_image_prediction_does()
    {
        if (!File.Exists(Chromium)) Assert.Skip($"{Chromium} is absent: install Debian's chromium (apt-get install chromium chromium-driver; .ci/run does) to run the browser test");

        // Given a joint-head model on the frozen ResNet-18's features of six small photos, served, and the page open in chromium
        var dir = CliRunner.TempFolder();
        try
        {
            var (csv, images) = ImageExportTests.OddPhotos(dir);
            using var classifier = LabelClassifier.Load(ImageExportTests.Train(dir, csv, images, HeadKind.Joint));
            await using var service = LabelService.Create(classifier, new ServeOptions { Port = 0 });
            await service.StartAsync(Token);
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await Launch(playwright);
            var page = await browser.NewPageAsync();
            await page.GotoAsync(service.Address.ToString());
            await Expect(page.Locator("body")).ToHaveAttributeAsync("data-ready", "true");
            await Expect(page.Locator("#model")).ToContainTextAsync($"joint head · {classifier.Vocabulary.Count} labels · takes images");
            await Expect(page.Locator("#photo-input")).ToBeVisibleAsync();
            await Expect(page.Locator("#features-input")).ToBeHiddenAsync();
            await page.FillAsync("#top", "3");

            // When a photo is chosen with the file input and ranked, Then the labels and scores are ImagePrediction's
            var chosen = Path.Combine(images, "rgb.jpg");
            await page.SetInputFilesAsync("#photo", chosen);
            await page.ClickAsync("#predict");
            await ExpectRanked(page, classifier.Predict(chosen, 3));

            // When another photo is dropped on the drop zone, Then it is the one ranked
            var dropped = Path.Combine(images, "grey.jpg");
            await page.EvaluateAsync("""
                async ([base64, name]) => {
                    const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
                    const transfer = new DataTransfer();
                    transfer.items.add(new File([bytes], name, { type: "image/jpeg" }));
                    document.getElementById("drop").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
                }
                """, new[] { Convert.ToBase64String(File.ReadAllBytes(dropped)), "grey.jpg" });
            await page.ClickAsync("#predict");
            var droppedRanks = classifier.Predict(dropped, 3);
            Assert.NotEqual(classifier.Predict(chosen, 3).Select(l => l.Score), droppedRanks.Select(l => l.Score));   // the page shows a new answer
            await ExpectRanked(page, droppedRanks);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task The_page_of_a_model_of_text_ranks_typed_text_as_batch_prediction_does()
    {
        if (!File.Exists(Chromium)) Assert.Skip($"{Chromium} is absent: install Debian's chromium (apt-get install chromium chromium-driver; .ci/run does) to run the browser test");

        // Given a model fitted on the topics corpus as raw text, served, and the page open in chromium
        using var classifier = TextServiceTests.FitTopics();
        await using var service = LabelService.Create(classifier, new ServeOptions { Port = 0 });
        await service.StartAsync(Token);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Launch(playwright);
        var page = await browser.NewPageAsync();
        await page.GotoAsync(service.Address.ToString());
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-ready", "true");
        await Expect(page.Locator("#model")).ToContainTextAsync("takes text");
        await Expect(page.Locator("#text-input")).ToBeVisibleAsync();
        await Expect(page.Locator("#features-input")).ToBeHiddenAsync();

        // When a test document's text is typed and ranked, Then the labels and scores are PredictBatch's for it
        var testPath = Path.Combine(TextServiceTests.Folder, "topics_test.tsv");
        var text = File.ReadLines(testPath).First().Split('\t')[^1];
        await page.FillAsync("#text", text);
        await page.FillAsync("#top", "3");
        await page.ClickAsync("#predict");
        await ExpectRanked(page, classifier.PredictBatch(LabelData.Read(testPath), top: 3, cancellationToken: Token)[0]);
    }

    static async Task ExpectRanked(IPage page, ScoredLabel[] expected)
    {
        await Expect(page.Locator("#ranked .label")).ToHaveTextAsync(expected.Select(l => l.Name).ToArray());
        await Expect(page.Locator("#ranked .score")).ToHaveTextAsync(expected.Select(l => l.Score.ToString("F4", CultureInfo.InvariantCulture)).ToArray());
    }

    sealed record MapPointOnCanvas(string Label, double X, double Y);
}
