using System.Runtime.ExceptionServices;
using Microsoft.ML.OnnxRuntime;

namespace LabelSphere.Training.Images;

/// <summary>
/// Features of image files from a pretrained network run by ONNX Runtime on the CPU: each image decoded and
/// preprocessed as ML.NET's pipeline does (<see cref="PretrainedPreprocessing"/>), passed through the package's
/// preprocessing graph (RGB to BGR, minus ImageNet's mean image) and the network. Images are decoded on all cores
/// while the network runs on all cores (ONNX Runtime's intra-op threads). Thread-safe.
/// </summary>
public sealed class ImageFeaturizer : IDisposable
{
    /// <summary>The folder beside the program that holds the package's ONNX files.</summary>
    public const string ModelFolder = PretrainedNetworks.ModelFolder;

    readonly InferenceSession preprocess;
    readonly InferenceSession network;
    readonly string preprocessInput, preprocessOutput, networkInput, networkOutput;
    readonly ImageColor background;

    ImageFeaturizer(PretrainedNetwork kind, InferenceSession preprocess, InferenceSession network, ImageColor background, int threads)
    {
        Network = kind;
        this.preprocess = preprocess;
        this.network = network;
        this.background = background;
        Threads = threads;
        preprocessInput = preprocess.InputMetadata.Keys.Single();
        preprocessOutput = preprocess.OutputMetadata.Keys.Single();
        networkInput = network.InputMetadata.Keys.Single();
        networkOutput = network.OutputMetadata.Keys.Single();
    }

    /// <summary>
    /// Loads <paramref name="kind"/> from <see cref="ModelFolder"/> beside the program. Transparent pixels are
    /// composited over <paramref name="background"/> (white by default); <paramref name="threads"/> (all processors by
    /// default) decode images and run the network.
    /// </summary>
    /// <exception cref="FileNotFoundException">The model files are not beside the program.</exception>
    public static ImageFeaturizer Load(PretrainedNetwork kind = PretrainedNetwork.ResNet18ImageNet, ImageColor? background = null, int? threads = null)
    {
        int threadCount = threads ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threadCount, nameof(threads));
        var (preprocessPath, networkPath) = Files(kind);
        foreach (var path in new[] { preprocessPath, networkPath })
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path}: the {PretrainedNetworks.Name(kind)} model file is missing; it comes from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package (0.23.1), which copies it beside the program that references it (LabelSphere's own build does)", path);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threadCount,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        InferenceSession? preprocess = null;
        try
        {
            preprocess = new InferenceSession(preprocessPath, options);
            var network = new InferenceSession(networkPath, options);
            return new ImageFeaturizer(kind, preprocess, network, background ?? ImageColor.White, threadCount);
        }
        catch
        {
            preprocess?.Dispose();
            throw;
        }
    }

    /// <summary>The ONNX files of <paramref name="kind"/>: the preprocessing graph and the network.</summary>
    internal static (string Preprocess, string Network) Files(PretrainedNetwork kind) => PretrainedNetworks.Files(kind);

    /// <summary>The network.</summary>
    public PretrainedNetwork Network { get; }

    /// <summary>Threads that decode images and run the network.</summary>
    public int Threads { get; }

    /// <summary>Width of the feature vector of one image: 512.</summary>
    public int FeatureSize => PretrainedNetworks.FeatureSize(Network);

    /// <summary>Side of the square input in pixels: 224.</summary>
    public int InputSide => PretrainedNetworks.InputSide(Network);

    /// <summary>
    /// What decides the features of an image besides its bytes: the network, its input size, the preprocessing and
    /// the background of transparent pixels. Features stored under another key are not these.
    /// </summary>
    public string Key => $"{PretrainedNetworks.Name(Network)};input={InputSide};preprocess={PretrainedNetworks.PreprocessingVersion};background=#{background.Red:x2}{background.Green:x2}{background.Blue:x2}";

    /// <summary>Writes the network's input for the image in <paramref name="path"/>: [3, side, side] R, G, B planes from 0 to 255.</summary>
    internal void Render(string path, Span<float> pixels) => PretrainedPreprocessing.Render(path, InputSide, background, pixels);

    /// <summary>The [<see cref="FeatureSize"/>] features of one rendered image ([3, side, side] R, G, B, 0–255).</summary>
    internal float[] Features(float[] pixels)
    {
        long[] shape = [1, 3, InputSide, InputSide];
        using var run = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, shape);
        using var prepared = preprocess.Run(run, [preprocessInput], [input], [preprocessOutput]);
        using var output = network.Run(run, [networkInput], [prepared[0]], [networkOutput]);
        return output[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>
    /// The features of the image files <paramref name="paths"/>, [paths, <see cref="FeatureSize"/>] row-major. Images
    /// are decoded a few batches ahead of the network. An image that is missing or cannot be decoded stops the
    /// extraction with a <see cref="ImageFeatureException"/> naming it, unless <paramref name="skipInvalid"/>: then its
    /// row stays zero and <see cref="ExtractedFeatures.Errors"/> says why.
    /// </summary>
    /// <param name="progress">Receives the number of images done so far.</param>
    /// <param name="extracted">Receives each image's index and features as soon as they are made (on the calling thread), so that a caller can keep them before the whole list is done.</param>
    public ExtractedFeatures Extract(IReadOnlyList<string> paths, bool skipInvalid = false, IProgress<int>? progress = null, CancellationToken cancellationToken = default,
                                     Action<int, float[]>? extracted = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        int features = FeatureSize, values = 3 * InputSide * InputSide;
        var result = new float[(long)paths.Count * features];
        var errors = new string?[paths.Count];
        // Decoding the next chunk overlaps with running the network on this one.
        int chunk = Math.Max(4, 2 * Threads);
        Task<float[]?[]> Decode(int start) => Task.Run(() =>
        {
            int count = Math.Min(chunk, paths.Count - start);
            var rendered = new float[]?[count];
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Threads, CancellationToken = cancellationToken }, k =>
            {
                var pixels = new float[values];
                try
                {
                    Render(paths[start + k], pixels);
                    rendered[k] = pixels;
                }
                catch (Exception e) when (e is ImageDecodeException or FileNotFoundException or IOException or UnauthorizedAccessException)
                {
                    errors[start + k] = e is ImageDecodeException ? $"cannot be decoded: {e.Message}"
                                      : e is FileNotFoundException ? "does not exist" : $"cannot be read: {e.Message}";
                }
            });
            return rendered;
        }, cancellationToken);

        if (paths.Count == 0) return new ExtractedFeatures(result, errors);
        var next = Decode(0);
        for (int start = 0; start < paths.Count; start += chunk)
        {
            float[]?[] rendered;
            try
            {
                rendered = next.GetAwaiter().GetResult();
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
                throw;
            }
            if (start + chunk < paths.Count) next = Decode(start + chunk);
            for (int k = 0; k < rendered.Length; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int i = start + k;
                if (rendered[k] is not { } pixels)
                {
                    if (!skipInvalid) throw new ImageFeatureException(paths[i], $"the image file '{paths[i]}' {errors[i]}");
                    continue;
                }
                var row = Features(pixels);
                row.CopyTo(result.AsSpan((int)((long)i * features), features));
                extracted?.Invoke(i, row);
                progress?.Report(i + 1);
            }
        }
        return new ExtractedFeatures(result, errors);
    }

    /// <summary>Frees the ONNX Runtime sessions.</summary>
    public void Dispose()
    {
        preprocess.Dispose();
        network.Dispose();
    }
}

/// <summary>Features of a list of images and, per image, why it has none (null where it has).</summary>
/// <param name="Features">[images, features] row-major; zero for an image with an error.</param>
/// <param name="Errors">[images]: null, or why the image could not be used ("does not exist", "cannot be decoded: ...").</param>
public sealed record ExtractedFeatures(float[] Features, string?[] Errors);

/// <summary>An image that is missing or cannot be decoded; the message names the file.</summary>
public sealed class ImageFeatureException(string path, string message) : Exception(message)
{
    /// <summary>The image file.</summary>
    public string ImagePath { get; } = path;
}
