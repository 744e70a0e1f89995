using System.Globalization;
using LabelSphere.Data;
using LabelSphere.Serve;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LabelSphere.Benchmarks;

/// <summary>
/// <c>serve-page MODEL DATA OUT [--row 0] [--label L] [--expression E] [--hover L]</c>: serves the model on a loopback
/// port of its own, opens its page in Debian's chromium (Playwright), ranks row <c>--row</c> of DATA pasted as sparse
/// pairs, lists the neighbours of <c>--label</c>, computes <c>--expression</c>, rests the mouse on <c>--hover</c>'s map
/// point and writes the screenshots <c>serve-page.png</c> (the whole page) and <c>serve-map.png</c> (the embedding
/// panel) into OUT (docs/deploy.md shows them).
/// </summary>
internal static class ServePage
{
    const string Chromium = "/usr/bin/chromium";

    public static int Run(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: serve-page MODEL DATA OUT [--row 0] [--label L] [--expression E] [--hover L]");
            return 2;
        }
        string? Option(string name) => Array.IndexOf(args, name) is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        return RunAsync(args[0], args[1], args[2], int.Parse(Option("--row") ?? "0", CultureInfo.InvariantCulture), Option("--label"), Option("--expression"), Option("--hover"))
            .GetAwaiter().GetResult();
    }

    static async Task<int> RunAsync(string modelPath, string dataPath, string output, int rowIndex, string? label, string? expression, string? hover)
    {
        if (!File.Exists(Chromium))
        {
            Console.Error.WriteLine($"{Chromium} is absent: apt-get install chromium chromium-driver");
            return 1;
        }
        using var classifier = LabelClassifier.Load(modelPath);
        var features = AnnotationReader.Read(dataPath).Features ?? throw new ArgumentException($"{dataPath}: has no feature vectors");
        var row = new float[features.Columns];
        features.CopyRowTo(rowIndex, row);
        var pasted = string.Join(" ", Enumerable.Range(0, row.Length).Where(c => row[c] != 0).Select(c => FormattableString.Invariant($"{c}:{row[c]}")));
        var expected = classifier.PredictBatch([row], 8)[0];

        await using var service = LabelService.Create(classifier, new ServeOptions { Port = 0 });
        await service.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1000, Height = 900 }, DeviceScaleFactor = 1 });
        await page.GotoAsync(service.Address.ToString());
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-ready", "true");

        await page.FillAsync("#row", pasted);
        await page.FillAsync("#top", "8");
        await page.ClickAsync("#predict");
        await Expect(page.Locator("#ranked .label")).ToHaveTextAsync(expected.Select(l => l.Name).ToArray());
        if (classifier.Embedding is { } embedding)
        {
            label ??= expected[0].Name;
            await page.FillAsync("#label", label);
            await page.FillAsync("#neighbours-k", "8");
            await page.ClickAsync("#neighbours");
            await Expect(page.Locator("#neighbour-list .label")).ToHaveTextAsync(embedding.Nearest(label, 8).Select(l => l.Name).ToArray());
            if (expression is not null)
            {
                await page.FillAsync("#expression", expression);
                await page.ClickAsync("#arithmetic");
                await Expect(page.Locator("#arithmetic-list .label")).ToHaveCountAsync(Math.Min(10, embedding.LabelCount));
            }
            hover ??= label;
            var at = await page.EvaluateAsync<double[]>($"() => {{ const p = labelMap.points.find(p => p.label === {System.Text.Json.JsonSerializer.Serialize(hover)}); return [p.px, p.py]; }}");
            await page.Locator("#map").HoverAsync(new() { Position = new() { X = (float)at[0], Y = (float)at[1] } });
            await Expect(page.Locator("#map-hover")).ToHaveTextAsync(hover);
        }
        Directory.CreateDirectory(output);
        await page.ScreenshotAsync(new() { Path = Path.Combine(output, "serve-page.png"), FullPage = true });
        if (classifier.Embedding is not null)
            await page.Locator("#embedding-panel").ScreenshotAsync(new() { Path = Path.Combine(output, "serve-map.png") });
        Console.WriteLine($"serve-page: wrote {Path.Combine(output, "serve-page.png")}" + (classifier.Embedding is null ? "" : $" and serve-map.png (row {rowIndex}: {string.Join(", ", expected.Take(3).Select(l => l.Name))}, ...)"));
        return 0;
    }
}
