using System.Globalization;
using System.Runtime.CompilerServices;
using LabelSphere.Training.Images;
using SkiaSharp;

namespace LabelSphere.Tests.Training.Images.Pretrained;

/// <summary>
/// The pretrained ResNet-18 against ML.NET's own pipeline: mlnet_resnet18_features.txt and 000000020992.mlnet-input.png
/// were written by docs/scripts/mlnet-featurizer (Microsoft.ML 5.0.1 with the DnnImageFeaturizer.ResNet18 package).
/// </summary>
public sealed class ImageFeaturizerTests
{
    static string Here([CallerFilePath] string here = "") => Path.GetDirectoryName(here)!;

    static float[] GoldenFeatures(string name) =>
        File.ReadLines(Path.Combine(Here(), "mlnet_resnet18_features.txt"))
            .Select(line => line.Split(' '))
            .Single(fields => fields[0] == name)
            .Skip(1).Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public void The_network_turns_MLNETs_input_into_MLNETs_features_within_1e_4()
    {
        // Given the [3, 224, 224] input ML.NET's pipeline made from a COCO photo (saved losslessly as a PNG)
        using var png = SKBitmap.Decode(Path.Combine(Here(), "000000020992.mlnet-input.png"));
        var pixels = new float[3 * 224 * 224];
        for (int y = 0; y < 224; y++)
            for (int x = 0; x < 224; x++)
            {
                var c = png.GetPixel(x, y);
                int p = y * 224 + x;
                (pixels[p], pixels[224 * 224 + p], pixels[2 * 224 * 224 + p]) = (c.Red, c.Green, c.Blue);
            }

        // When the featurizer runs its preprocessing graph and ResNet-18 on it
        using var featurizer = ImageFeaturizer.Load();
        var features = featurizer.Features(pixels);

        // Then the 512 features are ML.NET's
        var golden = GoldenFeatures("000000020992.jpg");
        Assert.Equal(512, features.Length);
        for (int i = 0; i < 512; i++) Assert.True(Math.Abs(features[i] - golden[i]) <= 1e-4, $"feature {i}: {features[i]} against ML.NET's {golden[i]}");
    }

    [Theory]
    [InlineData("000000005001.jpg")]
    [InlineData("000000010764.jpg")]
    [InlineData("000000020992.jpg")]
    [InlineData("small-96x72.png")]
    public void Images_decoded_here_give_MLNETs_features_up_to_the_rasterisers_rounding(string name)
    {
        // Given a COCO photo (shrunk to 224) or a small opaque image (enlarged to 224) and ML.NET's features of it
        var path = name.StartsWith("small", StringComparison.Ordinal)
            ? Path.Combine(Here(), name)
            : DatasetPaths.Get("coco", "tiny", "val2017", name);
        if (path is null) Assert.Skip(DatasetPaths.Missing);
        var golden = GoldenFeatures(name);

        // When the featurizer decodes, resizes and runs it
        using var featurizer = ImageFeaturizer.Load();
        var features = featurizer.Extract([path], cancellationToken: TestContext.Current.CancellationToken).Features;

        // Then every feature is within 0.1 of ML.NET's and the vectors point the same way (cosine above 0.9999): the
        // pixels differ by a rounding of SkiaSharp 3 against ML.NET's SkiaSharp 2.88, never by the geometry or filter
        double dot = 0, a = 0, b = 0;
        for (int i = 0; i < 512; i++)
        {
            Assert.True(Math.Abs(features[i] - golden[i]) <= 0.1, $"feature {i}: {features[i]} against ML.NET's {golden[i]}");
            dot += features[i] * golden[i];
            a += features[i] * features[i];
            b += golden[i] * golden[i];
        }
        Assert.True(dot / Math.Sqrt(a * b) > 0.9999, $"cosine {dot / Math.Sqrt(a * b)}");
    }
}
