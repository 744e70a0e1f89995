using LabelSphere.Training;
using LabelSphere.Training.Images;
using LabelSphere.Training.Models;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Tests.Training.Models;

/// <summary>
/// The TorchSharp ResNet-18 whose weights are imported from ML.NET's ResNet18.onnx against ONNX Runtime running the
/// package's own graphs (preprocessing, then the network) on the same rendered input.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class PretrainedResNet18Tests : IDisposable
{
    const int Side = ResNet18Weights.InputSide;
    const double Tolerance = 1e-4;

    readonly PretrainedResNet18 imported;
    readonly InferenceSession preprocess, network;
    readonly string folder = Directory.CreateTempSubdirectory("ls-resnet18-").FullName;

    public PretrainedResNet18Tests()
    {
        torch.manual_seed(0);
        imported = new PretrainedResNet18(FineTuneKind.All, [], 0);
        imported.LoadImageNetWeights();
        imported.eval();
        // The package's two graphs run as ImageFeaturizer runs them, one image at a time, straight from the files.
        var (preprocessFile, networkFile) = PretrainedNetworks.Files(PretrainedNetwork.ResNet18ImageNet);
        preprocess = new InferenceSession(preprocessFile);
        network = new InferenceSession(networkFile);
    }

    public void Dispose()
    {
        imported.Dispose();
        preprocess.Dispose();
        network.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>[images, 3, 224, 224] R, G, B (0–255) as ML.NET's pipeline renders them.</summary>
    float[] Render(IReadOnlyList<string> paths)
    {
        var pixels = new float[paths.Count * 3 * Side * Side];
        for (int i = 0; i < paths.Count; i++) PretrainedPreprocessing.Render(paths[i], Side, ImageColor.White, pixels.AsSpan(i * 3 * Side * Side, 3 * Side * Side));
        return pixels;
    }

    float[] OnnxRuntime(float[] pixels, int images, InferenceSession? weights = null)
    {
        weights ??= network;
        var features = new float[images * 512];
        using var run = new RunOptions();
        for (int i = 0; i < images; i++)
        {
            using var input = OrtValue.CreateTensorValueFromMemory(pixels[(i * 3 * Side * Side)..((i + 1) * 3 * Side * Side)], [1, 3, Side, Side]);
            using var prepared = preprocess.Run(run, [preprocess.InputNames[0]], [input], [preprocess.OutputNames[0]]);
            using var output = weights.Run(run, [weights.InputNames[0]], [prepared[0]], [weights.OutputNames[0]]);
            output[0].GetTensorDataAsSpan<float>().CopyTo(features.AsSpan(i * 512, 512));
        }
        return features;
    }

    static float[] TorchSharp(PretrainedResNet18 network, float[] pixels, int images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return network.Features(tensor(pixels, [images, 3, Side, Side])).data<float>().ToArray();
    }

    static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int at = 0;
        for (int i = 0; i < expected.Length; i++)
            if (Math.Abs(expected[i] - actual[i]) > worst) (worst, at) = (Math.Abs(expected[i] - actual[i]), i);
        Assert.True(worst <= Tolerance, $"{what}: feature {at % 512} of image {at / 512} differs by {worst:G3} ({actual[at]} against ONNX Runtime's {expected[at]})");
    }

    /// <summary>A generated 300×200 picture: gradients, a disc and stripes, so that every layer sees structure.</summary>
    string Generated()
    {
        var path = Path.Combine(folder, "generated.png");
        using var bitmap = new SKBitmap(300, 200, SKColorType.Rgba8888, SKAlphaType.Premul);
        for (int y = 0; y < 200; y++)
            for (int x = 0; x < 300; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 255 / 299), (byte)(y * 255 / 199), (byte)((x / 10 + y / 10) % 2 * 200),
                    255));
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { Color = new SKColor(250, 220, 30), IsAntialias = true })
            canvas.DrawCircle(150, 100, 60, paint);
        using (var file = File.Create(path))
            bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
        return path;
    }

    [Fact]
    public void Imported_network_gives_ONNX_Runtimes_features_of_a_generated_image_within_1e_4()
    {
        // Given a generated picture rendered as the featurizer renders it
        var pixels = Render([Generated()]);

        // When ONNX Runtime runs the package's graphs and the imported TorchSharp network runs in evaluation mode
        var expected = OnnxRuntime(pixels, 1);
        var actual = TorchSharp(imported, pixels, 1);

        // Then the 512 features agree within 1e-4, and they are not trivially small
        AssertClose(expected, actual, "generated image");
        Assert.True(expected.Max() > 1, $"largest feature {expected.Max()}");
    }

    [Fact]
    public void Imported_network_gives_ONNX_Runtimes_features_of_real_photos_within_1e_4_in_one_batch()
    {
        // Given three COCO photos and three emoji (transparent PNGs over white), one batch of six
        var coco = DatasetPaths.Get("coco", "tiny", "val2017");
        var emoji = DatasetPaths.Get("emoji", "images");
        if (coco is null || emoji is null) Assert.Skip(DatasetPaths.Missing);
        string[] paths = [.. Directory.GetFiles(coco, "*.jpg").Order(StringComparer.Ordinal).Take(3),
                          .. Directory.GetFiles(emoji, "*.png").Order(StringComparer.Ordinal).Take(3)];
        var pixels = Render(paths);

        // When both run
        var expected = OnnxRuntime(pixels, paths.Length);
        var actual = TorchSharp(imported, pixels, paths.Length);

        // Then every feature of every image agrees within 1e-4
        AssertClose(expected, actual, "photos");
    }

    [Fact]
    public void Mapping_covers_every_convolution_and_batch_norm_once_in_torchvision_names()
    {
        // Given the package's graph
        var graph = ResNet18Weights.Read(PretrainedNetworks.Files(PretrainedNetwork.ResNet18ImageNet).Network).Graph;

        // When it is mapped
        var entries = ResNet18Weights.Map(graph);

        // Then its 22 convolutions (the stem, 9 basic blocks of two, 3 projections) and their batch norms are mapped,
        // each initializer once, onto the network's float entries, the first being the stem's
        Assert.Equal(22, graph.Node.Count(n => n.OpType == "Conv"));
        Assert.Equal(22 * 5, entries.Count);
        Assert.Equal(entries.Count, entries.Select(e => e.Initializer).Distinct().Count());
        var floats = imported.Network.state_dict().Where(kv => kv.Value.dtype == ScalarType.Float32).Select(kv => kv.Key).Order(StringComparer.Ordinal);
        Assert.Equal(floats, entries.Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Equal(new ResNet18Weights.Entry("conv1.weight", graph.Node[0].Input[1]), entries[0]);
        Assert.Contains(entries, e => e.Name == "layer4.0.downsample.1.running_var");
        Assert.Contains(entries, e => e.Name == "layer4.2.bn2.weight");
    }

    [Fact]
    public void A_graph_whose_residual_add_skips_the_shortcut_is_refused()
    {
        // Given the package's graph whose first residual add adds the stem's ReLU instead of the block's input (the max pool)
        var model = ResNet18Weights.Read(PretrainedNetworks.Files(PretrainedNetwork.ResNet18ImageNet).Network);
        var add = model.Graph.Node.First(n => n.OpType == "Add");
        var pool = model.Graph.Node.Single(n => n.OpType == "MaxPool");
        Assert.Equal(pool.Output[0], add.Input[1]);
        add.Input[1] = pool.Input[0];

        // When it is mapped, then it is refused naming the tensor whose use departs from ResNet-18
        var error = Assert.Throws<InvalidDataException>(() => ResNet18Weights.Map(model.Graph));
        Assert.StartsWith("ResNet18.onnx: ", error.Message);
        Assert.Contains(pool.Input[0], error.Message);
    }

    [Fact]
    public void A_graph_that_pads_a_stride_2_convolution_more_at_its_end_than_torchvision_is_refused()
    {
        // Given the package's graph with the second stage's first 3×3 convolution padded [1, 1, 2, 2] instead of [1, 1, 0, 0]
        var model = ResNet18Weights.Read(PretrainedNetworks.Files(PretrainedNetwork.ResNet18ImageNet).Network);
        var conv = model.Graph.Node.Where(n => n.OpType == "Conv").First(n => n.Attribute.First(a => a.Name == "pads").Ints.SequenceEqual([1L, 1, 0, 0]));
        var pads = conv.Attribute.First(a => a.Name == "pads");
        pads.Ints.Clear();
        pads.Ints.Add([1L, 1, 2, 2]);

        // When it is mapped, then the padding is named
        var error = Assert.Throws<InvalidDataException>(() => ResNet18Weights.Map(model.Graph));
        Assert.Contains("pads [1, 1, 2, 2]", error.Message);
    }

    [Fact]
    public void Weights_written_back_into_the_ONNX_graph_give_the_modules_features_in_ONNX_Runtime()
    {
        // Given the imported network with every weight and statistic changed (as fine-tuning changes them)
        using var changed = new PretrainedResNet18(FineTuneKind.All, [], 0);
        changed.LoadImageNetWeights();
        changed.eval();
        using (var noGrad = no_grad())
            foreach (var (name, value) in changed.Network.state_dict())
                if (value.dtype == ScalarType.Float32)
                {
                    using var factor = rand_like(value).mul_(0.2).add_(0.9);
                    value.mul_(factor);
                }
        var pixels = Render([Generated()]);

        // When its weights are written back into ResNet18.onnx's graph and ONNX Runtime runs the written file
        var written = Path.Combine(folder, "fine-tuned.onnx");
        ResNet18Weights.WriteOnnx(changed.Network, written);
        using var session = new InferenceSession(written);
        var fromFile = OnnxRuntime(pixels, 1, session);

        // Then its features are the changed module's within 1e-4, and not the original network's
        AssertClose(fromFile, TorchSharp(changed, pixels, 1), "written file");
        var original = TorchSharp(imported, pixels, 1);
        Assert.True(original.Zip(fromFile).Max(p => Math.Abs(p.First - p.Second)) > 0.01, "the written file still holds the pretrained weights");
        // And the graph is the original's, node for node
        var template = ResNet18Weights.Read(PretrainedNetworks.Files(PretrainedNetwork.ResNet18ImageNet).Network).Graph;
        var graph = ResNet18Weights.Read(written).Graph;
        Assert.Equal(template.Node, graph.Node);
        Assert.Equal(template.Initializer.Select(t => t.Name), graph.Initializer.Select(t => t.Name));
    }
}
