using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using LabelSphere.Native;
using LabelSphere.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LabelSphere.Benchmarks;

/// <summary>
/// Milliseconds of the forward and the backward of each layer of the small CNN (SmallCnn, width 32, batch 128, 64×64×3
/// images), one layer at a time, TorchSharp's libtorch against PyTorch on the same shapes and threads:
/// <c>layer-step [--threads 2] [--rounds 3] [--reps 5] [--channels-last | --ours-channels-last] [--peer-isa ISA] [--python /usr/bin/python3] [--peer bench/peer/layer_step_peer.py]</c>.
/// The PyTorch side (bench/peer/layer_step_peer.py) is a child process that runs under the same oneDNN instruction
/// set limit as this one (<see cref="PeerEnvironment"/>) unless <c>--peer-isa</c> names another; the two sides
/// alternate layer by layer, round by round. <c>--channels-last</c> gives both sides NHWC inputs,
/// <c>--ours-channels-last</c> only this one.
/// Each measurement is <c>--reps</c> forward and backward passes after one warm-up; the backward starts from a gradient
/// of ones. Prints one TSV line per round, layer and side with the median forward and backward milliseconds
/// (bench/layer_step.sh).
/// </summary>
internal static class LayerStep
{
    const int Batch = 128;

    /// <summary>One layer of SmallCnn (width 32) with its input's channels and side.</summary>
    sealed record Layer(string Name, string Kind, int Inputs, int Outputs, int Side, bool InputGradient);

    // The network's order; the first convolution's input (the images) needs no gradient, every later input does.
    static readonly Layer[] Layers =
    [
        new("conv0", "conv", 3, 32, 64, false),
        new("norm0", "norm", 32, 32, 64, true),
        new("relu0", "relu", 32, 32, 64, true),
        new("pool0", "pool", 32, 32, 64, true),
        new("conv1", "conv", 32, 64, 32, true),
        new("norm1", "norm", 64, 64, 32, true),
        new("relu1", "relu", 64, 64, 32, true),
        new("pool1", "pool", 64, 64, 32, true),
        new("conv2", "conv", 64, 128, 16, true),
        new("norm2", "norm", 128, 128, 16, true),
        new("relu2", "relu", 128, 128, 16, true),
        new("gap", "gap", 128, 128, 16, true),
    ];

    public static int Run(string[] args)
    {
        int threads = 2, rounds = 3, reps = 5;
        bool channelsLast = false, peerChannelsLast = false;
        string? peerIsa = null;
        string python = "/usr/bin/python3", peerScript = "bench/peer/layer_step_peer.py";
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--channels-last": channelsLast = peerChannelsLast = true; continue;
                case "--ours-channels-last": channelsLast = true; continue;
                case "--peer-isa" when i + 1 < args.Length: peerIsa = args[++i]; continue;
                case "--threads" when i + 1 < args.Length: threads = int.Parse(args[++i], CultureInfo.InvariantCulture); continue;
                case "--rounds" when i + 1 < args.Length: rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); continue;
                case "--reps" when i + 1 < args.Length: reps = int.Parse(args[++i], CultureInfo.InvariantCulture); continue;
                case "--python" when i + 1 < args.Length: python = args[++i]; continue;
                case "--peer" when i + 1 < args.Length: peerScript = args[++i]; continue;
                default: Console.Error.WriteLine($"layer-step: unknown option {args[i]}"); return 2;
            }
        }
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(threads);
        var start = new ProcessStartInfo(python, [peerScript, "--threads", threads.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        PeerEnvironment.Apply(start);
        if (peerIsa is not null) start.Environment["ONEDNN_MAX_CPU_ISA"] = peerIsa;
        using var peer = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {python}");
        try
        {
            var ready = peer.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the peer exited before it was ready");
            Console.Error.WriteLine($"layer-step: LabelSphere {torch.get_num_threads()} torch threads (TorchSharp libtorch {torch.__version__}, " +
                                    $"{PeerEnvironment.Describe()}), channels last: {channelsLast}, peer's: {peerChannelsLast}; peer {ready}");
            Console.WriteLine("round\tlayer\tside\tforward_ms\tbackward_ms\tloadavg");
            for (int round = 0; round < rounds; round++)
            {
                foreach (var layer in Layers)
                {
                    var (forward, backward) = Measure(layer, reps, channelsLast);
                    Print(round, layer, "labelsphere", forward, backward);
                    var request = new JsonObject
                    {
                        ["kind"] = layer.Kind, ["inputs"] = layer.Inputs, ["outputs"] = layer.Outputs, ["side"] = layer.Side,
                        ["batch"] = Batch, ["reps"] = reps, ["channels_last"] = peerChannelsLast, ["input_grad"] = layer.InputGradient,
                    };
                    peer.StandardInput.WriteLine(request.ToJsonString());
                    peer.StandardInput.Flush();
                    var answer = JsonNode.Parse(peer.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the peer exited; see its stderr"))!;
                    Print(round, layer, "pytorch", [.. answer["forward"]!.AsArray().Select(v => v!.GetValue<double>())],
                        [.. answer["backward"]!.AsArray().Select(v => v!.GetValue<double>())]);
                }
            }
        }
        finally
        {
            peer.StandardInput.Close();
            peer.WaitForExit();
        }
        return 0;
    }

    static void Print(int round, Layer layer, string side, double[] forward, double[] backward)
    {
        var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{round}\t{layer.Name}\t{side}\t{Median(forward):F2}\t{Median(backward):F2}\t{load}"));
    }

    static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    static nn.Module<Tensor, Tensor> Build(Layer layer) => layer.Kind switch
    {
        "conv" => nn.Conv2d(layer.Inputs, layer.Outputs, kernel_size: 3, padding: 1, bias: false),
        "norm" => nn.BatchNorm2d(layer.Inputs),
        "relu" => nn.ReLU(),
        "pool" => nn.MaxPool2d(kernel_size: 2),
        _ => nn.AdaptiveAvgPool2d(1),
    };

    static (double[] Forward, double[] Backward) Measure(Layer layer, int reps, bool channelsLast)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        using var module = Build(layer);
        module.train();
        var input = torch.randn(Batch, layer.Inputs, layer.Side, layer.Side);
        if (channelsLast) input = MemoryFormat.ChannelsLast(input);
        var forward = new double[reps];
        var backward = new double[reps];
        for (int rep = 0; rep <= reps; rep++)
        {
            using var step = torch.NewDisposeScope();
            module.zero_grad();
            // A fresh leaf each pass: its gradient is written, not added to an earlier one, as inside the network.
            var x = input.detach().requires_grad_(layer.InputGradient);
            long start = Stopwatch.GetTimestamp();
            var y = module.call(x);
            long middle = Stopwatch.GetTimestamp();
            var gradient = torch.ones_like(y);
            long resume = Stopwatch.GetTimestamp();
            y.backward([gradient]);
            long end = Stopwatch.GetTimestamp();
            if (rep > 0)
            {
                forward[rep - 1] = Stopwatch.GetElapsedTime(start, middle).TotalMilliseconds;
                backward[rep - 1] = Stopwatch.GetElapsedTime(resume, end).TotalMilliseconds;
            }
        }
        return (forward, backward);
    }

}
