using System.Runtime.CompilerServices;
using LabelSphere.Tests.Data;
using LabelSphere.Training;
using LabelSphere.Training.Images;

namespace LabelSphere.Tests.Training.Images.Pretrained;

/// <summary>
/// The pretrained network run on batches of images (its batch dimension made symbolic at load) against the same network
/// run on one image at a time, and the device it runs on.
/// </summary>
public sealed class BatchedExtractionTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static string Here([CallerFilePath] string here = "") => Path.GetDirectoryName(here)!;

    /// <summary>Seven images: the odd/ pictures (grey, CMYK, 61×37, alpha) and the small PNG, then COCO photos where present.</summary>
    static string[] Images()
    {
        string[] odd = ["rgb.jpg", "cmyk.jpg", "grey.jpg", "alpha.png", "white.png"];
        var paths = odd.Select(name => Path.Combine(Here(), "odd", name)).Append(Path.Combine(Here(), "small-96x72.png")).ToList();
        foreach (var photo in new[] { "000000005001.jpg", "000000010764.jpg" })
            if (DatasetPaths.Get("coco", "tiny", "val2017", photo) is { } path) paths.Add(path);
        return [.. paths];
    }

    static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"value {i} (image {i / 512}, feature {i % 512}): {actual[i]} against {expected[i]} one at a time");
    }

    [Fact]
    public void Batches_of_images_give_the_features_of_one_image_at_a_time_within_1e_5()
    {
        // Given images of every kind the decoder meets, and the network loaded for one image at a time and for batches
        // of 4 (so that the images fill one batch and part of another)
        var paths = Images();
        using var single = ImageFeaturizer.Load(batchSize: 1);
        using var batched = ImageFeaturizer.Load(batchSize: 4);

        // When each extracts their features
        var one = single.Extract(paths, cancellationToken: Ct);
        var four = batched.Extract(paths, cancellationToken: Ct);

        // Then every feature agrees within 1e-5 (features reach about 15)
        Assert.All(one.Errors, Assert.Null);
        Assert.All(four.Errors, Assert.Null);
        AssertClose(one.Features, four.Features, 1e-5);
    }

    [Fact]
    public void An_undecodable_image_inside_a_batch_leaves_the_others_features_unchanged()
    {
        // Given a batch of four whose second image is not an image at all and whose third does not exist
        using var folder = new TempFolder();
        var broken = folder.Write("broken.jpg", "not a JPEG");
        var paths = Images()[..5];
        string[] withBroken = [paths[0], broken, Path.Combine(folder.Path, "missing.png"), paths[1], paths[2], paths[3], paths[4]];
        using var single = ImageFeaturizer.Load(batchSize: 1);
        using var batched = ImageFeaturizer.Load(batchSize: 4);

        // When the batches are extracted, skipping what cannot be read, and every good image one at a time
        var reported = new List<int>();
        var extracted = new List<int>();
        var result = batched.Extract(withBroken, skipInvalid: true, new SynchronousProgress<int>(reported.Add), Ct, (i, _) => extracted.Add(i));
        var one = single.Extract(paths, cancellationToken: Ct);

        // Then the two bad images are named and zero, every good one has its own features, each handed over once, and
        // progress counts whole batches
        Assert.StartsWith("cannot be decoded", result.Errors[1]);
        Assert.Equal("does not exist", result.Errors[2]);
        Assert.All(result.Features.AsSpan(512, 1024).ToArray(), v => Assert.Equal(0f, v));
        var good = new[] { 0, 3, 4, 5, 6 }.SelectMany(i => result.Features.AsSpan(i * 512, 512).ToArray()).ToArray();
        AssertClose(one.Features, good, 1e-5);
        Assert.Equal([0, 3, 4, 5, 6], extracted.Order());
        Assert.Equal([4, 7], reported);
    }

    [Fact]
    public void An_undecodable_image_stops_the_extraction_naming_it_when_it_is_not_skipped()
    {
        // Given a batch whose third image is not an image
        using var folder = new TempFolder();
        var broken = folder.Write("broken.png", "not a PNG");
        var paths = Images()[..3];
        using var batched = ImageFeaturizer.Load(batchSize: 4);

        // When it is extracted without skipping
        var extracted = new List<int>();
        var error = Assert.Throws<ImageFeatureException>(() => batched.Extract([paths[0], paths[1], broken, paths[2]], cancellationToken: Ct, extracted: (i, _) => extracted.Add(i)));

        // Then the error names it, and the good images of its batch were handed over first (a store keeps them)
        Assert.Equal(broken, error.ImagePath);
        Assert.Contains("broken.png", error.Message);
        Assert.Equal([0, 1, 3], extracted.Order());
    }

    [Fact]
    public void Cuda_without_ONNX_Runtimes_CUDA_provider_runs_on_the_CPU_and_says_why()
    {
        // Given this build's ONNX Runtime, the CPU package, whose providers do not include CUDA's
        // When the network is loaded for CUDA
        using var featurizer = ImageFeaturizer.Load(device: DeviceKind.Cuda);

        // Then it runs on the CPU and says that this build has no CUDA provider and which package has it
        Assert.Equal(DeviceKind.Cpu, featurizer.Device);
        Assert.Contains("no CUDA provider", featurizer.DeviceFallback);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu.Linux", featurizer.DeviceFallback);
    }

    [Fact]
    public void The_CPU_asked_for_gives_no_fallback_and_a_CUDA_provider_is_not_refused()
    {
        // Given the CPU asked for, and the provider lists of a CPU and a CUDA build of ONNX Runtime
        using var featurizer = ImageFeaturizer.Load();

        // Then the CPU needs no explanation, a CPU build is refused and a CUDA build is tried
        Assert.Equal(DeviceKind.Cpu, featurizer.Device);
        Assert.Null(featurizer.DeviceFallback);
        Assert.NotNull(ImageFeaturizer.CudaUnavailable(["CPUExecutionProvider"]));
        Assert.Null(ImageFeaturizer.CudaUnavailable(["CUDAExecutionProvider", "CPUExecutionProvider"]));
    }
}
