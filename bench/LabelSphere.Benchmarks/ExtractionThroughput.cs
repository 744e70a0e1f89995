using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using LabelSphere.Native;
using LabelSphere.Training.Images;
using LabelSphere.Training.Models;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Benchmarks;

/// <summary>
/// Images per second of ML.NET's ResNet-18 (ResNet18.onnx, 224×224 in, 512 features out) run by ONNX Runtime and by
/// the TorchSharp import (<see cref="ResNet18Weights"/>), on the same random batches with the same thread count:
/// <c>extract [--threads 2] [--batches 1,16] [--seconds 20]</c> prints one TSV line per engine and batch size
/// (bench/extract.sh runs it beside PyTorch's torchvision network).
/// </summary>
internal static class ExtractionThroughput
{
    public static int Run(string[] args)
    {
        int threads = 2;
        int[] batches = [1, 16];
        double seconds = 20;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--threads": threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--batches": batches = [.. args[i + 1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]; break;
                case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"extract: unknown option {args[i]}"); return 2;
            }
        }
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(threads);
        var onnx = PretrainedNetworks.Files(PretrainedNetwork.ResNet18ImageNet).Network;

        // The file's batch dimension is 1; the same graph with a symbolic batch runs any batch size.
        var model = ResNet18Weights.Read(onnx);
        foreach (var value in model.Graph.Input.Concat(model.Graph.Output).Concat(model.Graph.ValueInfo))
            if (value.Type?.TensorType?.Shape is { Dim.Count: > 0 } shape)
                shape.Dim[0] = new Onnx.TensorShapeProto.Types.Dimension { DimParam = "batch" };
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        using var session = new InferenceSession(model.ToByteArray(), options);
        string input = session.InputNames[0], output = session.OutputNames[0];

        using var network = new ResNet(ResNet18Weights.Network);
        ResNet18Weights.Load(network, model);
        network.eval();

        Console.WriteLine("engine\tbatch\tthreads\timages_per_second\tbatches_timed\tseconds");
        var random = new Random(0);
        foreach (int batch in batches)
        {
            var pixels = new float[batch * 3 * 224 * 224];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)(random.NextDouble() * 255 - 120);
            long[] shape = [batch, 3, 224, 224];

            using var run = new RunOptions();
            Report("onnxruntime", batch, threads, seconds, () =>
            {
                using var value = OrtValue.CreateTensorValueFromMemory(pixels, shape);
                using var result = session.Run(run, [input], [value], [output]);
            });
            Report("torchsharp", batch, threads, seconds, () =>
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                network.forward(tensor(pixels, shape)).data<float>().ToArray();
            });
        }
        return 0;
    }

    /// <summary>Runs <paramref name="once"/> twice to warm up, then as often as fits in <paramref name="seconds"/>; prints images per second.</summary>
    static void Report(string engine, int batch, int threads, double seconds, Action once)
    {
        once();
        once();
        int count = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds || count < 3)
        {
            once();
            count++;
        }
        double elapsed = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{engine}\t{batch}\t{threads}\t{count * batch / elapsed:F2}\t{count}\t{elapsed:F1}"));
    }
}
