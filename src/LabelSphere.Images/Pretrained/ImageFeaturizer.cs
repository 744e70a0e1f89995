using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace LabelSphere.Training.Images;

/// <summary>
/// Features of image files from a pretrained network run by ONNX Runtime, on the CPU or (where ONNX Runtime has its CUDA
/// provider and finds a device) on CUDA: each image decoded and preprocessed as ML.NET's pipeline does
/// (<see cref="PretrainedPreprocessing"/>), passed through the package's preprocessing graph (RGB to BGR, minus
/// ImageNet's mean image) and the network, <see cref="BatchSize"/> images at a time. The next batch is decoded on all
/// cores while the network runs this one on all cores (ONNX Runtime's intra-op threads). Thread-safe.
/// </summary>
public sealed class ImageFeaturizer : IDisposable
{
    /// <summary>The folder beside the program that holds the package's ONNX files.</summary>
    public const string ModelFolder = PretrainedNetworks.ModelFolder;

    /// <summary>Images the network runs at once by default: 16 (a batch of 224-pixel inputs takes 9.6 MB, and two are in flight).</summary>
    public const int DefaultBatchSize = 16;

    const string CudaProvider = "CUDAExecutionProvider";

    readonly InferenceSession preprocess;
    readonly InferenceSession network;
    readonly string preprocessInput, preprocessOutput, networkInput, networkOutput;
    readonly ImageColor background;

    ImageFeaturizer(PretrainedNetwork kind, InferenceSession preprocess, InferenceSession network, ImageColor background, int threads, int batchSize,
                    DeviceKind device, string? deviceFallback)
    {
        Network = kind;
        this.preprocess = preprocess;
        this.network = network;
        this.background = background;
        Threads = threads;
        BatchSize = batchSize;
        Device = device;
        DeviceFallback = deviceFallback;
        preprocessInput = preprocess.InputMetadata.Keys.Single();
        preprocessOutput = preprocess.OutputMetadata.Keys.Single();
        networkInput = network.InputMetadata.Keys.Single();
        networkOutput = network.OutputMetadata.Keys.Single();
    }

    /// <summary>
    /// Loads <paramref name="kind"/> from <see cref="ModelFolder"/> beside the program. Transparent pixels are
    /// composited over <paramref name="background"/> (white by default); <paramref name="threads"/> (all processors by
    /// default) decode images and run the network, <paramref name="batchSize"/> images at a time. With
    /// <paramref name="device"/> CUDA the network runs on the first CUDA device where this build of ONNX Runtime has its
    /// CUDA provider and the provider finds a device; otherwise on the CPU, and <see cref="DeviceFallback"/> says why.
    /// </summary>
    /// <exception cref="FileNotFoundException">The model files are not beside the program.</exception>
    public static ImageFeaturizer Load(PretrainedNetwork kind = PretrainedNetwork.ResNet18ImageNet, ImageColor? background = null, int? threads = null,
                                       int batchSize = DefaultBatchSize, DeviceKind device = DeviceKind.Cpu)
    {
        int threadCount = threads ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threadCount, nameof(threads));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (!Enum.IsDefined(device)) throw new ArgumentOutOfRangeException(nameof(device), device, "unknown device");
        var (preprocessPath, networkPath) = Files(kind);
        foreach (var path in new[] { preprocessPath, networkPath })
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path}: the {PretrainedNetworks.Name(kind)} model file is missing; it comes from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package (0.23.1), which copies it beside the program that references it (LabelSphere's own build does)", path);
        byte[] preprocessModel = WithSymbolicBatch(preprocessPath), networkModel = WithSymbolicBatch(networkPath);

        string? fallback = null;
        if (device == DeviceKind.Cuda)
        {
            fallback = CudaUnavailable(OrtEnv.Instance().GetAvailableProviders());
            if (fallback is null)
            {
                try
                {
                    var (cudaPreprocess, cudaNetwork) = Sessions(preprocessModel, networkModel, threadCount, cuda: true);
                    return new ImageFeaturizer(kind, cudaPreprocess, cudaNetwork, background ?? ImageColor.White, threadCount, batchSize, DeviceKind.Cuda, null);
                }
                catch (OnnxRuntimeException e)
                {
                    fallback = $"ONNX Runtime's CUDA provider could not start on a CUDA device ({FirstLine(e.Message)})";
                }
            }
        }
        var (cpuPreprocess, cpuNetwork) = Sessions(preprocessModel, networkModel, threadCount, cuda: false);
        return new ImageFeaturizer(kind, cpuPreprocess, cpuNetwork, background ?? ImageColor.White, threadCount, batchSize, DeviceKind.Cpu, fallback);
    }

    /// <summary>
    /// Why CUDA cannot be asked of an ONNX Runtime whose execution providers are <paramref name="providers"/>, or null
    /// when its CUDA provider is among them.
    /// </summary>
    internal static string? CudaUnavailable(IEnumerable<string> providers) =>
        providers.Contains(CudaProvider)
            ? null
            : $"this build of ONNX Runtime has no CUDA provider (it has {string.Join(", ", providers)}; the CUDA build is the Microsoft.ML.OnnxRuntime.Gpu.Linux package in place of Microsoft.ML.OnnxRuntime, on a machine with an NVIDIA driver and the CUDA and cuDNN libraries that package names)";

    static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    /// <summary>
    /// The ONNX file in <paramref name="path"/> with its batch dimension symbolic: CNTK exported the package's graphs
    /// for one image ([1, 3, 224, 224] in, [1, 512, 1, 1] out, and every intermediate shape), and ONNX Runtime refuses a
    /// batch of another size. Neither graph reshapes or flattens (the network is convolutions, batch norms, ReLUs, adds
    /// and pools; the preprocessing a split, a concatenation and a subtraction that broadcasts the mean image), so
    /// nothing inside depends on the batch being 1.
    /// </summary>
    static byte[] WithSymbolicBatch(string path)
    {
        // Read-only and shared: OnnxSharp's ParseFromFile opens the file for writing, alone, which a program installed
        // read-only, or two featurizers loading at once, cannot do.
        ModelProto model;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            model = ModelProto.Parser.ParseFrom(stream);
        model.Graph.SetDim();
        return model.ToByteArray();
    }

    static (InferenceSession Preprocess, InferenceSession Network) Sessions(byte[] preprocessModel, byte[] networkModel, int threads, bool cuda)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        if (cuda) options.AppendExecutionProvider_CUDA(0);
        InferenceSession? preprocess = null;
        try
        {
            preprocess = new InferenceSession(preprocessModel, options);
            return (preprocess, new InferenceSession(networkModel, options));
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

    /// <summary>Images the network runs at once.</summary>
    public int BatchSize { get; }

    /// <summary>Where the network runs.</summary>
    public DeviceKind Device { get; }

    /// <summary>Why the network runs on the CPU although CUDA was asked for; null when it runs where it was asked to.</summary>
    public string? DeviceFallback { get; }

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

    /// <summary>
    /// The [images, <see cref="FeatureSize"/>] features (row-major) of rendered images, [images, 3, side, side] R, G, B,
    /// 0–255, run through the network at once.
    /// </summary>
    internal float[] Features(float[] pixels)
    {
        int values = 3 * InputSide * InputSide;
        Debug.Assert(pixels.Length > 0 && pixels.Length % values == 0);
        long[] shape = [pixels.Length / values, 3, InputSide, InputSide];
        using var run = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, shape);
        using var prepared = preprocess.Run(run, [preprocessInput], [input], [preprocessOutput]);
        using var output = network.Run(run, [networkInput], [prepared[0]], [networkOutput]);
        return output[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>
    /// The features of the image files <paramref name="paths"/>, [paths, <see cref="FeatureSize"/>] row-major, run
    /// <see cref="BatchSize"/> at a time; the next batch is decoded while the network runs this one. An image that is
    /// missing or cannot be decoded stops the extraction with a <see cref="ImageFeatureException"/> naming it (after the
    /// other images of its batch), unless <paramref name="skipInvalid"/>: then its row stays zero and
    /// <see cref="ExtractedFeatures.Errors"/> says why.
    /// </summary>
    /// <param name="progress">Receives the number of images done so far, after each batch.</param>
    /// <param name="extracted">Receives each image's index and features as soon as they are made (on the calling thread), so that a caller can keep them before the whole list is done.</param>
    public ExtractedFeatures Extract(IReadOnlyList<string> paths, bool skipInvalid = false, IProgress<int>? progress = null, CancellationToken cancellationToken = default,
                                     Action<int, float[]>? extracted = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        int features = FeatureSize, values = 3 * InputSide * InputSide, batch = BatchSize;
        var result = new float[(long)paths.Count * features];
        var errors = new string?[paths.Count];
        // Decodes images [start, start + batch) into one [images, 3, side, side] input, those that fail left out.
        Task<(float[] Pixels, int[] Images)> Decode(int start) => Task.Run(() =>
        {
            int count = Math.Min(batch, paths.Count - start);
            var pixels = new float[(long)count * values];
            var decoded = new bool[count];
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Threads, CancellationToken = cancellationToken }, k =>
            {
                try
                {
                    Render(paths[start + k], pixels.AsSpan(k * values, values));
                    decoded[k] = true;
                }
                catch (Exception e) when (e is ImageDecodeException or FileNotFoundException or IOException or UnauthorizedAccessException)
                {
                    errors[start + k] = e is ImageDecodeException ? $"cannot be decoded: {e.Message}"
                                      : e is FileNotFoundException ? "does not exist" : $"cannot be read: {e.Message}";
                }
            });
            var images = new List<int>(count);
            for (int k = 0; k < count; k++)
            {
                if (!decoded[k]) continue;
                if (images.Count < k) pixels.AsSpan(k * values, values).CopyTo(pixels.AsSpan(images.Count * values, values));
                images.Add(start + k);
            }
            return (images.Count == count ? pixels : pixels[..(images.Count * values)], images.ToArray());
        }, cancellationToken);

        if (paths.Count == 0) return new ExtractedFeatures(result, errors);
        var next = Decode(0);
        for (int start = 0; start < paths.Count; start += batch)
        {
            (float[] Pixels, int[] Images) decoded;
            try
            {
                decoded = next.GetAwaiter().GetResult();
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
                throw;
            }
            if (start + batch < paths.Count) next = Decode(start + batch);
            cancellationToken.ThrowIfCancellationRequested();
            if (decoded.Images.Length > 0)
            {
                var rows = Features(decoded.Pixels);
                for (int j = 0; j < decoded.Images.Length; j++)
                {
                    var row = rows.AsSpan(j * features, features);
                    row.CopyTo(result.AsSpan((int)((long)decoded.Images[j] * features), features));
                    extracted?.Invoke(decoded.Images[j], row.ToArray());
                }
            }
            int end = Math.Min(start + batch, paths.Count);
            if (!skipInvalid)
                for (int i = start; i < end; i++)
                    if (errors[i] is { } error) throw new ImageFeatureException(paths[i], $"the image file '{paths[i]}' {error}");
            progress?.Report(end);
        }
        return new ExtractedFeatures(result, errors);
    }

    /// <summary>Whether <see cref="Dispose"/> has freed the sessions.</summary>
    internal bool IsDisposed { get; private set; }

    /// <summary>Frees the ONNX Runtime sessions.</summary>
    public void Dispose()
    {
        IsDisposed = true;
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
