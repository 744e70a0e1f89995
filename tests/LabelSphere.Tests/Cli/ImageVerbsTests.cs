using System.Text.Json;
using SkiaSharp;

namespace LabelSphere.Tests.Cli;

[Collection(TorchCollection.Name)]
public sealed class ImageVerbsTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    /// <summary>The rows of the emoji keywords file whose image is one of its first <paramref name="images"/> images, as a long CSV.</summary>
    string EmojiSubset(string csv, int images, string name)
    {
        var lines = File.ReadLines(csv).ToList();
        var kept = new HashSet<string>();
        var rows = new List<string> { lines[0] };
        foreach (var line in lines.Skip(1))
        {
            var image = line.Split(',')[0];
            if (kept.Count < images) kept.Add(image);
            if (kept.Contains(image)) rows.Add(line);
        }
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, rows);
        return path;
    }

    [Fact]
    public void A_cnn_trains_on_emoji_images_under_either_head_and_predicts_ranked_labels_for_them()
    {
        // Given 40 emoji, their keywords, an embedding of those keywords and 5 of the images to label
        var csv = DatasetPaths.Get("emoji", "labels.csv");
        if (csv is null) Assert.Skip(DatasetPaths.Missing);
        var images = Path.Combine(Path.GetDirectoryName(csv)!, "images");
        var train = EmojiSubset(csv, 40, "train.csv");
        var unseen = EmojiSubset(csv, 5, "five.csv");
        var embedding = Path.Combine(dir, "emb");
        var embed = CliRunner.Run("embed", train, "--dim", "8", "--out", embedding, "--json");
        Assert.True(embed.ExitCode == 0, embed.Err);

        foreach (var loss in new[] { "embedding", "sigmoid" })
        {
            // When a small CNN trains on 32-pixel images for three steps, with a 10% validation split
            var run = Path.Combine(dir, loss);
            string[] head = loss == "embedding" ? ["--head", "embedding", "--embedding", embedding] : ["--head", "sigmoid"];
            var trained = CliRunner.Run(["train", train, "--images", images, .. head, "--model", "cnn", "--image-size", "32", "--cnn-width", "8",
                "--steps", "3", "--batch-size", "8", "--eval-every", "0", "--out", run, "--json"]);

            // Then it completes on 36 training and 4 validation images and its model says how to decode images
            Assert.True(trained.ExitCode == 0, trained.Err);
            using (var summary = JsonDocument.Parse(trained.Out))
            {
                var root = summary.RootElement;
                Assert.True(root.GetProperty("completed").GetBoolean());
                Assert.Equal((36, 4), (root.GetProperty("trainingInstances").GetInt32(), root.GetProperty("validationInstances").GetInt32()));
                Assert.Equal(32, root.GetProperty("image").GetProperty("size").GetInt32());
                Assert.True(root.GetProperty("examplesPerSecond").GetDouble() > 0);
            }
            using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "model", "manifest.json"))))
            {
                var image = manifest.RootElement.GetProperty("options").GetProperty("image");
                Assert.Equal(32, image.GetProperty("size").GetInt32());
                Assert.Equal("center-crop", image.GetProperty("resize").GetString());
                Assert.Equal(3, image.GetProperty("mean").GetArrayLength());
                Assert.Equal(new[] { 3, 32, 32 }, manifest.RootElement.GetProperty("backbone").GetProperty("inputShape").EnumerateArray().Select(v => v.GetInt32()));
            }

            // When it labels five of the images as JSON
            var predicted = CliRunner.Run("predict", run, unseen, "--images", images, "--top", "3", "--json");

            // Then there is one record per image, named by its file, with three labels of the vocabulary, best first
            Assert.True(predicted.ExitCode == 0, predicted.Err);
            var vocabulary = File.ReadLines(train).Skip(1).Select(l => l.Split(',')[1]).ToHashSet();
            using var records = JsonDocument.Parse(predicted.Out);
            var expected = File.ReadLines(unseen).Skip(1).Select(l => l.Split(',')[0]).Distinct().ToArray();
            Assert.Equal(expected, records.RootElement.EnumerateArray().Select(r => r.GetProperty("instance").GetString()));
            foreach (var record in records.RootElement.EnumerateArray())
            {
                var labels = record.GetProperty("labels").EnumerateArray().ToArray();
                Assert.Equal(3, labels.Length);
                Assert.All(labels, l => Assert.Contains(l.GetProperty("label").GetString()!, vocabulary));
                var scores = labels.Select(l => l.GetProperty("score").GetDouble()).ToArray();
                Assert.Equal(scores.OrderDescending(), scores);
                Assert.All(scores, v => Assert.InRange(v, loss == "embedding" ? -1.0001 : 0, 1.0001));
            }
        }
    }

    [Fact]
    public void Predict_with_an_image_model_but_without_images_fails_with_one_line()
    {
        // Given an image model trained for one step on four generated images
        var (csv, images) = WriteSquares();
        var run = Path.Combine(dir, "run");
        var trained = CliRunner.Run("train", csv, "--images", images, "--head", "sigmoid", "--image-size", "8", "--cnn-width", "4",
            "--steps", "1", "--validation", "0", "--out", run, "--json");
        Assert.True(trained.ExitCode == 0, trained.Err);

        // When it is asked to label the annotations without their image folder
        var result = CliRunner.Run("predict", run, csv, "--json");

        // Then it exits with 1 and one line on standard error that says to give --images, and nothing on standard output
        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", error);
        Assert.Contains("is an image model (8×8 images)", error);
        Assert.Contains("--images", error);
        Assert.Equal("", result.Out);
    }

    [Theory]
    [InlineData("inception-v3", "64", "--image-size 64 is below the inception-v3 backbone's minimum: it takes images of at least 75×75 pixels")]
    [InlineData("resnet", "8", "--image-size 8 is below the resnet backbone's minimum: it takes images of at least 16×16 pixels")]
    [InlineData("mlp", "8", "the mlp backbone takes feature vectors; images need --model cnn, resnet, inception-v3 or resnet18-imagenet")]
    public void An_image_size_below_the_backbones_minimum_is_one_usage_line(string model, string size, string message)
    {
        var (csv, images) = WriteSquares();
        var result = CliRunner.Run("train", csv, "--images", images, "--model", model, "--image-size", size, "--head", "sigmoid", "--out", Path.Combine(dir, "run"));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: " + message + " (see 'labelsphere train --help')", Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void Compare_trains_both_heads_on_images_and_writes_curves_figure_and_table()
    {
        // Given four labelled squares and an embedding of their labels
        var (csv, images) = WriteSquares();
        var embedding = Path.Combine(dir, "emb");
        var embed = CliRunner.Run("embed", csv, "--dim", "2", "--out", embedding, "--json");
        Assert.True(embed.ExitCode == 0, embed.Err);

        // When compare trains a small CNN under each head for four steps, measured every two, testing on the same images
        var output = Path.Combine(dir, "compare");
        var result = CliRunner.Run("compare", csv, csv, "--images", images, "--embedding", embedding, "--image-size", "8", "--cnn-width", "4",
            "--steps", "4", "--eval-every", "2", "--batch-size", "2", "--validation", "0.25", "--heads", "embedding", "--out", output);

        // Then it succeeds and both heads have a curve point at steps 2 and 4, a row in the table and the figure
        Assert.True(result.ExitCode == 0, result.Err);
        var curves = File.ReadLines(Path.Combine(output, "curves.csv")).Skip(1).Select(l => l.Split(',')).Select(f => (f[0], int.Parse(f[1]))).ToArray();
        Assert.Equal([("sigmoid", 2), ("sigmoid", 4), ("embedding k=2", 2), ("embedding k=2", 4)], curves);
        var report = File.ReadAllText(Path.Combine(output, "results.md"));
        Assert.Contains("cnn on 8×8 images, 4 steps", report);
        Assert.Contains($"images from `{images}`, 8×8 pixels", report);
        foreach (var model in new[] { "| sigmoid |", "| embedding k=2 |" })
        {
            Assert.Contains(model, report);
            Assert.Contains(model, result.Out);
        }
        Assert.True(new FileInfo(Path.Combine(output, "convergence.png")).Length > 0);
    }

    [Theory]
    [InlineData("mlp", "8", "the mlp backbone takes feature vectors; images need --model cnn, resnet, inception-v3 or resnet18-imagenet")]
    [InlineData("resnet", "8", "--image-size 8 is below the resnet backbone's minimum: it takes images of at least 16×16 pixels")]
    public void Compare_on_images_with_a_body_that_cannot_take_them_is_one_usage_line(string model, string size, string message)
    {
        var (csv, images) = WriteSquares();
        var result = CliRunner.Run("compare", csv, csv, "--images", images, "--model", model, "--image-size", size,
            "--embedding", Path.Combine(dir, "no-embedding"), "--out", Path.Combine(dir, "compare"));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: " + message + " (see 'labelsphere compare --help')", Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.False(Directory.Exists(Path.Combine(dir, "compare")));
    }

    [Fact]
    public void Compare_on_images_refuses_to_tune_the_feature_scaling_in_one_usage_line()
    {
        var (csv, images) = WriteSquares();
        var embedding = Path.Combine(dir, "emb");
        Assert.Equal(0, CliRunner.Run("embed", csv, "--dim", "2", "--out", embedding, "--json").ExitCode);
        var result = CliRunner.Run("compare", csv, csv, "--images", images, "--embedding", embedding, "--image-size", "8", "--cnn-width", "4",
            "--steps", "2", "--validation", "0.25", "--tune-features", "none,tf-idf", "--out", Path.Combine(dir, "compare"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--tune-features: feature scaling applies to feature data, and this run trains on images",
            Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.False(Directory.Exists(Path.Combine(dir, "compare")));
    }

    (string Csv, string Images) WriteSquares() => WriteSquares(dir, colourLabel: true);

    /// <summary>
    /// Four 8×8 squares in <paramref name="dir"/>/images, two red and two blue, labelled by colour (and each also
    /// "colour" with <paramref name="colourLabel"/>) in a long CSV beside their folder.
    /// </summary>
    internal static (string Csv, string Images) WriteSquares(string dir, bool colourLabel = false)
    {
        var images = Path.Combine(dir, "images");
        Directory.CreateDirectory(images);
        var rows = new List<string> { "image,label" };
        foreach (var (name, colour, label) in new[] { ("r1.png", SKColors.Red, "red"), ("r2.png", SKColors.Red, "red"), ("b1.png", SKColors.Blue, "blue"), ("b2.png", SKColors.Blue, "blue") })
        {
            using var bitmap = new SKBitmap(new SKImageInfo(8, 8, SKColorType.Rgba8888, SKAlphaType.Unpremul));
            bitmap.Erase(colour);
            using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(images, name), png.ToArray());
            rows.Add($"{name},{label}");
            if (colourLabel) rows.Add($"{name},colour");
        }
        var csv = Path.Combine(dir, "squares.csv");
        File.WriteAllLines(csv, rows);
        return (csv, images);
    }
}
