using System.Runtime.CompilerServices;
using LabelSphere.Embedding;
using LabelSphere.Onnx;
using LabelSphere.Tests.Cli;
using LabelSphere.Training;
using LabelSphere.Training.Images;
using LabelSphere.Training.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;

namespace LabelSphere.Tests.Onnx;

/// <summary>
/// The export of image models with the frozen pretrained backbone: one graph from RGB pixels to label scores, run by
/// ONNX Runtime on images rendered as LabelSphere renders them, against <see cref="ImagePrediction"/>.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ImageExportTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    static CancellationToken Token => TestContext.Current.CancellationToken;

    static string Odd([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "Training", "Images", "Pretrained", "odd"));

    (string Csv, string Images) OddPhotos() => OddPhotos(dir);

    string Train(string csv, string images, HeadKind head, ImageColor? background = null) => Train(dir, csv, images, head, background);

    /// <summary>The six odd/ images (JPEG, CMYK, grey, transparent) tagged with their colours, as a long CSV in a folder of their own under <paramref name="dir"/>.</summary>
    internal static (string Csv, string Images) OddPhotos(string dir)
    {
        var images = Path.Combine(dir, "odd");
        Directory.CreateDirectory(images);
        var rows = new List<string> { "image,label" };
        foreach (var (name, tags) in new[] { ("rgb.jpg", "red yellow blue"), ("cmyk.jpg", "red yellow blue"), ("grey.jpg", "grey"),
                                              ("grey-rgb.png", "grey"), ("alpha.png", "red yellow blue"), ("white.png", "red yellow blue white") })
        {
            File.Copy(Path.Combine(Odd(), name), Path.Combine(images, name));
            rows.AddRange(tags.Split(' ').Select(t => $"{name},{t}"));
        }
        var csv = Path.Combine(dir, "odd.csv");
        File.WriteAllLines(csv, rows);
        return (csv, images);
    }

    /// <summary>A model of <paramref name="head"/> on the frozen network's features of the images, saved to a folder under <paramref name="dir"/>.</summary>
    internal static string Train(string dir, string csv, string images, HeadKind head, ImageColor? background = null)
    {
        var data = ImageLabelData.Read(csv, images);
        var embedding = head.UsesEmbedding()
            ? LabelEmbedding.Fit(CooccurrenceCounts.Count(data.Annotations.Vocabulary, data.Annotations.Labels),
                new EmbeddingOptions { Dimension = Math.Min(3, data.Annotations.Vocabulary.Count) })
            : null;
        using var classifier = LabelClassifier.Fit(data, new LabelClassifierOptions
        {
            Training = new TrainingOptions
            {
                Backbone = BackboneKind.ResNet18ImageNet, Head = head, Hidden = [16], Steps = 8, BatchSize = 4, EvalEvery = 0, LearningRate = 1e-2,
                Image = new ImageSourceOptions
                {
                    Size = 224, Pretrained = PretrainedNetwork.ResNet18ImageNet, FeatureStore = Path.Combine(dir, "store"), Crop = ImageCrop.None,
                    HorizontalFlip = false, Background = background ?? ImageColor.White,
                },
            },
            Embedding = embedding,
            ValidationFraction = 0,
        }, cancellationToken: Token);
        var folder = Path.Combine(dir, $"model-{head.Name()}");
        classifier.Save(folder);
        return folder;
    }

    /// <summary>The exported model's input for an image file: its RGB pixels [224, 224, 3], rendered as the featurizer renders them.</summary>
    internal static byte[] Pixels(string path, ImageColor background)
    {
        const int side = 224, plane = side * side;
        var planes = new float[3 * plane];
        PretrainedPreprocessing.Render(path, side, background, planes);
        var pixels = new byte[3 * plane];
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
                pixels[i * 3 + c] = checked((byte)planes[c * plane + i]);
        return pixels;
    }

    // Every image's scores from the exported graph (all images in one batch) equal ImagePrediction's within 1e-4, and
    // so do its top p labels and their order.
    static void AssertSameAsPredict(string folder, string onnx, IReadOnlyList<string> paths, int top)
    {
        using var classifier = LabelClassifier.Load(folder);
        var background = classifier.Manifest.Options.Image!.Background;
        var input = new DenseTensor<byte>(paths.SelectMany(p => Pixels(p, background)).ToArray(), [paths.Count, 224, 224, 3]);
        using var session = new InferenceSession(onnx);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("pixels", input)]);
        var scores = results.Single(r => r.Name == "scores").AsTensor<float>();
        var labels = results.Single(r => r.Name == "top_labels").AsTensor<string>().ToArray();
        var topScores = results.Single(r => r.Name == "top_scores").AsTensor<float>().ToArray();
        int count = classifier.Vocabulary.Count;
        Assert.Equal(count, scores.Dimensions[1]);
        for (int i = 0; i < paths.Count; i++)
        {
            var all = classifier.Predict(paths[i], count);
            foreach (var label in all)
                Assert.True(Math.Abs(label.Score - scores[i, label.Id]) <= 1e-4,
                    $"{Path.GetFileName(paths[i])}, label {label.Name}: predict scores {label.Score}, the graph {scores[i, label.Id]}");
            var expected = classifier.Predict(paths[i], top);
            for (int t = 0; t < top; t++)
            {
                // The same label at every rank but between labels whose scores tie within the tolerance.
                if (labels[i * top + t] != expected[t].Name)
                    Assert.True(Math.Abs(expected[t].Score - all.Single(l => l.Name == labels[i * top + t]).Score) <= 1e-4,
                        $"{Path.GetFileName(paths[i])}, rank {t + 1}: predict ranks '{expected[t].Name}' ({expected[t].Score}), the graph '{labels[i * top + t]}'");
                Assert.Equal(expected[t].Score, topScores[i * top + t], 1e-4);
            }
        }
    }

    [Theory]
    [InlineData(HeadKind.Sigmoid)]
    [InlineData(HeadKind.Embedding)]
    [InlineData(HeadKind.Joint)]
    public void An_exported_image_model_scores_rendered_pixels_as_predict_scores_the_image_files(HeadKind head)
    {
        // Given a model of the head on the frozen ResNet-18's features of six small images (JPEG, CMYK, grey, transparent)
        var (csv, images) = OddPhotos();
        var folder = Train(csv, images, head);

        // When it is exported
        var onnx = Path.Combine(dir, "images.onnx");
        var result = OnnxExport.Export(folder, onnx, top: 3);

        // Then its input is 224×224 RGB pixels, and ONNX Runtime scores the images as predict does
        Assert.Null(result.Features);
        Assert.Equal(224, result.ImageSide);
        AssertSameAsPredict(folder, onnx, [.. Directory.GetFiles(images).Order()], 3);
        using var session = new InferenceSession(onnx);
        Assert.Equal([-1, 224, 224, 3], session.InputMetadata["pixels"].Dimensions);
        Assert.Equal("resnet18-imagenet", session.ModelMetadata.CustomMetadataMap["labelsphere.body"]);
        Assert.Equal("#ffffff", session.ModelMetadata.CustomMetadataMap["labelsphere.background"]);
    }

    [Fact]
    public void An_exported_image_model_scores_real_emoji_and_photos_as_predict_does()
    {
        // Given twelve emoji (transparent PNGs, composited over black here) with their keywords and four COCO photos tagged 'photo'
        var emoji = DatasetPaths.Get("emoji");
        var coco = DatasetPaths.Get("coco", "tiny", "val2017");
        if (emoji is null || coco is null) { Assert.Skip(DatasetPaths.Missing); return; }
        var images = Path.Combine(dir, "real");
        Directory.CreateDirectory(images);
        var rows = new List<string> { "image,label" };
        foreach (var group in File.ReadLines(Path.Combine(emoji, "labels.csv")).Skip(1).Select(l => l.Split(',')).GroupBy(f => f[0]).Take(12))
        {
            var name = Path.GetFileName(group.Key);
            File.Copy(Path.Combine(emoji, "images", group.Key), Path.Combine(images, name));
            rows.AddRange(group.Select(f => $"{name},{f[1]}"));
        }
        foreach (var photo in Directory.GetFiles(coco, "*.jpg").Order().Take(4))
        {
            File.Copy(photo, Path.Combine(images, Path.GetFileName(photo)));
            rows.Add($"{Path.GetFileName(photo)},photo");
        }
        var csv = Path.Combine(dir, "real.csv");
        File.WriteAllLines(csv, rows);
        var folder = Train(csv, images, HeadKind.CosineLogit, ImageColor.Black);

        // When it is exported, then ONNX Runtime scores every image as predict does
        var onnx = Path.Combine(dir, "real.onnx");
        OnnxExport.Export(folder, onnx, top: 5);
        AssertSameAsPredict(folder, onnx, [.. Directory.GetFiles(images).Order()], 5);
    }

    /// <summary>
    /// Four opaque 224-pixel PNGs (a red, green, blue or yellow disc on a grey gradient, its colour the label), so that
    /// no resizing stands between the file and the pixels either renderer gives, as a long CSV.
    /// </summary>
    (string Csv, string Images) Discs()
    {
        var images = Path.Combine(dir, "discs");
        Directory.CreateDirectory(images);
        var rows = new List<string> { "image,label" };
        var colours = new[] { ("red", new SKColor(230, 20, 20)), ("green", new SKColor(20, 230, 20)), ("blue", new SKColor(20, 20, 230)), ("yellow", new SKColor(230, 230, 20)) };
        for (int i = 0; i < colours.Length; i++)
        {
            var (name, colour) = colours[i];
            using var bitmap = new SKBitmap(224, 224, SKColorType.Rgba8888, SKAlphaType.Premul);
            for (int y = 0; y < 224; y++)
                for (int x = 0; x < 224; x++)
                {
                    bool inside = (x - 112 + 15 * i) * (x - 112 + 15 * i) + (y - 112) * (y - 112) < (40 + 10 * i) * (40 + 10 * i);
                    bitmap.SetPixel(x, y, inside ? colour : new SKColor((byte)(60 + x / 2), (byte)(60 + y / 2), 128, 255));
                }
            var file = $"{name}.png";
            using (var stream = File.Create(Path.Combine(images, file))) bitmap.Encode(stream, SKEncodedImageFormat.Png, 100);
            rows.Add($"{file},{name}");
            rows.Add($"{file},disc");
        }
        var csv = Path.Combine(dir, "discs.csv");
        File.WriteAllLines(csv, rows);
        return (csv, images);
    }

    [Theory]
    [InlineData(HeadKind.Sigmoid, 16)]
    [InlineData(HeadKind.Embedding, 0)]
    public void An_exported_fine_tuned_image_model_scores_pixels_as_predict_scores_the_image_files(HeadKind head, int hidden)
    {
        // Given a model whose ResNet-18 last stage was fine-tuned for three steps on four generated images (with no
        // hidden layer, the head reads the network's features directly, as it would read the frozen network's)
        var (csv, images) = Discs();
        var data = ImageLabelData.Read(csv, images);
        var embedding = head.UsesEmbedding()
            ? LabelEmbedding.Fit(CooccurrenceCounts.Count(data.Annotations.Vocabulary, data.Annotations.Labels, Token), new EmbeddingOptions { Dimension = 3 },
                cancellationToken: Token)
            : null;
        var folder = Path.Combine(dir, "tuned");
        using (var classifier = LabelClassifier.Fit(data, new LabelClassifierOptions
        {
            Training = new TrainingOptions
            {
                Backbone = BackboneKind.ResNet18ImageNet, FineTune = FineTuneKind.LastBlock, Head = head, Hidden = hidden > 0 ? [hidden] : [], Steps = 3, BatchSize = 4,
                EvalEvery = 0, LearningRate = 1e-2, Optimizer = OptimizerKind.Adam, Seed = 3,
                Image = new ImageSourceOptions { Size = 224, Crop = ImageCrop.None, HorizontalFlip = false },
            },
            Embedding = embedding,
            ValidationFraction = 0,
        }, cancellationToken: Token))
            classifier.Save(folder);

        // When it is exported
        var onnx = Path.Combine(dir, "tuned.onnx");
        var result = OnnxExport.Export(folder, onnx, top: 3);

        // Then ONNX Runtime scores the images' pixels as predict scores their files
        Assert.Equal(224, result.ImageSide);
        AssertSameAsPredict(folder, onnx, [.. Directory.GetFiles(images).Order()], 3);
        // And the graph holds the fine-tuned weights: the last stage's as the model saved them, not the package's,
        // and the stem's, which did not learn, as the package's
        var exported = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx)).Graph.Initializer.ToDictionary(t => t.Name);
        var package = ResNet18Weights.Read(PretrainedNetworks.Files(PretrainedNetwork.ResNet18ImageNet).Network).Graph;
        var entries = ResNet18Weights.Map(package).ToDictionary(e => e.Name, e => e.Initializer);
        float[] Exported(string name) => ResNet18Weights.Values(exported[$"{PretrainedNetworks.Name(PretrainedNetwork.ResNet18ImageNet)}/{entries[name]}"]);
        float[] Package(string name) => ResNet18Weights.Values(package.Initializer.Single(t => t.Name == entries[name]));
        float[] Saved(string name) => LabelSphere.IO.Npy.Read<float>(Path.Combine(folder, "weights", $"backbone.network.{name}.npy")).Data;
        Assert.False(Exported("layer4.2.conv2.weight").AsSpan().SequenceEqual(Package("layer4.2.conv2.weight")), "the exported last stage is the package's");
        Assert.True(Exported("layer4.2.conv2.weight").AsSpan().SequenceEqual(Saved("layer4.2.conv2.weight")), "the exported last stage is not the model's");
        Assert.True(Exported("conv1.weight").AsSpan().SequenceEqual(Package("conv1.weight")), "the exported stem is not the package's");
    }

    [Fact]
    public void The_export_verb_says_an_image_model_takes_rgb_images()
    {
        var (csv, images) = OddPhotos();
        var folder = Train(csv, images, HeadKind.Sigmoid);
        var result = CliRunner.Run("export", folder, "--out", Path.Combine(dir, "cli.onnx"), "--json");
        Assert.True(result.ExitCode == 0, result.Err);
        using var json = System.Text.Json.JsonDocument.Parse(result.Out);
        Assert.Equal(224, json.RootElement.GetProperty("imageSide").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.RootElement.GetProperty("features").ValueKind);
    }
}
