using System.Runtime.CompilerServices;
using LabelSphere.Embedding;
using LabelSphere.Onnx;
using LabelSphere.Tests.Cli;
using LabelSphere.Training;
using LabelSphere.Training.Images;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

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
