using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.IO;
using LabelSphere.Native;
using LabelSphere.Training;
using TorchSharp;

namespace LabelSphere.Benchmarks;

/// <summary>
/// Examples per second of training steps, LabelSphere's trainer against the same model in PyTorch on the same data and
/// threads: <c>train-step [--threads 2] [--reps 3] [--configs mlp-sigmoid-17355,...] [--python /usr/bin/python3] [--peer bench/peer/train_step_peer.py] [--work DIR]
/// [--warmup W] [--steps S]</c>.
/// Each configuration is a backbone (the default MLP on 64 features, or the small CNN on 64×64×3 images), a head
/// (sigmoid or embedding) and a size (N = 17,355 labels with k = 4,096, or N = 1,000 with k = 64), batch 128, RMSprop.
/// LabelSphere's side is <see cref="Trainer.Train"/> itself on an in-memory source, so a step includes what the
/// trainer does around the network: building the batch's inputs and label targets from the CSR label sets, the step,
/// the loss read back. The PyTorch side (bench/peer/train_step_peer.py) runs as a child process that reads the same
/// files and does the same per step; the two sides alternate, repetition by repetition, so that load on a shared
/// machine falls on both. Prints one TSV line per configuration and side (bench/train_step.sh).
/// </summary>
internal static class TrainStep
{
    const int BatchSize = 128;
    const int Features = 64;
    const int ImageSide = 64;
    const double LabelsPerInstance = 1.22;   // the embedding preset's 1.22 labels per instance (issue 11)

    /// <summary>One measured configuration.</summary>
    sealed record Config(BackboneKind Backbone, HeadKind Head, int Labels, int Dimension, int Instances, int Warmup, int Steps)
    {
        public string Name => $"{Backbones.Name(Backbone)}-{Head.Name()}-{Labels}";
    }

    static readonly Config[] Catalog =
    [
        new(BackboneKind.Mlp, HeadKind.Sigmoid, 17_355, 4096, 8192, 2, 8),
        new(BackboneKind.Mlp, HeadKind.Embedding, 17_355, 4096, 8192, 2, 8),
        new(BackboneKind.Mlp, HeadKind.Sigmoid, 1000, 64, 8192, 5, 30),
        new(BackboneKind.Mlp, HeadKind.Embedding, 1000, 64, 8192, 5, 30),
        new(BackboneKind.Cnn, HeadKind.Sigmoid, 17_355, 4096, 1024, 1, 4),
        new(BackboneKind.Cnn, HeadKind.Embedding, 17_355, 4096, 1024, 1, 4),
        new(BackboneKind.Cnn, HeadKind.Sigmoid, 1000, 64, 1024, 1, 4),
        new(BackboneKind.Cnn, HeadKind.Embedding, 1000, 64, 1024, 1, 4),
    ];

    public static int Run(string[] args)
    {
        int threads = 2, reps = 3;
        string python = "/usr/bin/python3", peerScript = "bench/peer/train_step_peer.py", work = Path.Combine(Path.GetTempPath(), "labelsphere-train-step");
        var configs = Catalog;
        int? warmup = null, steps = null;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--threads": threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--reps": reps = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--python": python = args[i + 1]; break;
                case "--peer": peerScript = args[i + 1]; break;
                case "--warmup": warmup = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--steps": steps = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--work": work = args[i + 1]; break;
                case "--configs":
                    var names = args[i + 1].Split(',');
                    configs = [.. Catalog.Where(c => names.Contains(c.Name))];
                    if (configs.Length != names.Length)
                    {
                        Console.Error.WriteLine($"train-step: --configs takes names among {string.Join(", ", Catalog.Select(c => c.Name))}");
                        return 2;
                    }
                    break;
                default: Console.Error.WriteLine($"train-step: unknown option {args[i]}"); return 2;
            }
        }
        configs = [.. configs.Select(c => c with { Warmup = warmup ?? c.Warmup, Steps = steps ?? c.Steps })];
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(threads);
        var startInfo = new ProcessStartInfo(python, [peerScript, "--threads", threads.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        PeerEnvironment.Apply(startInfo);
        using var peer = Process.Start(startInfo) ?? throw new InvalidOperationException($"cannot start {python}");
        try
        {
            Console.WriteLine("config\tside\trep\texamples_per_second\tsteps_timed\tloadavg");
            var ready = JsonNode.Parse(peer.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the peer exited before it was ready"))!;
            Console.Error.WriteLine($"train-step: LabelSphere {threads} torch threads (TorchSharp libtorch {torch.__version__}, {PeerEnvironment.Describe()}), peer {ready.ToJsonString()}");
            foreach (var config in configs)
            {
                var data = Path.Combine(work, $"{Backbones.Name(config.Backbone)}-{config.Labels}-{config.Dimension}");
                var (source, embedding) = Prepare(config, data);
                for (int rep = 0; rep < reps; rep++)
                {
                    var (ours, theirs) = Measure(config, source, embedding, peer, data);
                    var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{config.Name}\tlabelsphere\t{rep}\t{ours:F1}\t{config.Steps}\t{load}"));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{config.Name}\tpytorch\t{rep}\t{theirs:F1}\t{config.Steps}\t{load}"));
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

    /// <summary>The config's synthetic data, in memory and written to <paramref name="folder"/> as .npy for the peer.</summary>
    static (IInstanceSource Source, LabelEmbedding? Embedding) Prepare(Config config, string folder)
    {
        Directory.CreateDirectory(folder);
        var labels = SyntheticLabels.Generate(new SyntheticSpec(config.Labels, config.Instances, LabelsPerInstance, config.Labels / 20, config.Labels));
        var vocabulary = SyntheticLabels.Vocabulary(config.Labels);
        var random = new Random(7);
        long[] shape = config.Backbone == BackboneKind.Mlp ? [Features] : [3, ImageSide, ImageSide];
        long width = shape.Aggregate(1L, (a, b) => a * b);
        var inputs = new float[config.Instances * width];
        for (long i = 0; i < inputs.Length; i++) inputs[i] = (float)(random.NextDouble() * 2 - 1);
        Npy.Write<float>(Path.Combine(folder, "inputs.npy"), inputs, [config.Instances, .. shape]);
        Npy.Write<long>(Path.Combine(folder, "offsets.npy"), labels.Offsets, labels.Offsets.Length);
        Npy.Write<int>(Path.Combine(folder, "indices.npy"), labels.Indices, labels.Indices.Length);

        IInstanceSource source;
        if (config.Backbone == BackboneKind.Mlp)
        {
            var builder = new FeatureMatrixBuilder();
            for (int r = 0; r < config.Instances; r++) builder.AddRow(inputs.AsSpan((int)(r * width), (int)width));
            var features = builder.Build(Features);
            source = new FeatureSource(features, labels, vocabulary, FeatureTransform.Fit(features, FeatureScaling.None));
        }
        else source = new ArraySource(inputs, shape, labels, vocabulary);

        var vectors = new float[(long)config.Labels * config.Dimension];
        for (long i = 0; i < vectors.Length; i++) vectors[i] = (float)(random.NextDouble() * 2 - 1);
        Npy.Write<float>(Path.Combine(folder, "vectors.npy"), vectors, config.Labels, config.Dimension);
        var embedding = new LabelEmbedding(vocabulary, labels.LabelCounts(), new bool[config.Labels], config.Instances, 0, vectors,
            Enumerable.Repeat(1.0, config.Dimension).ToArray(), new EmbeddingOptions { Dimension = config.Dimension },
            new PmiMarginals(config.Instances, 1, 1, 0), new SpectrumReport(1, new double[config.Dimension], 0, 0, 0, false), EigenSolver.Exact);
        return (source, embedding);
    }

    /// <summary>
    /// Examples per second of the trainer's steps and of the peer's after <see cref="Config.Warmup"/> of each, the two
    /// alternating step by step: the trainer reports progress after each step with its clock stopped, and the peer
    /// runs one step then. The trainer's step time is read from its reports (cumulative examples per second).
    /// </summary>
    static (double Ours, double Theirs) Measure(Config config, IInstanceSource source, LabelEmbedding? embedding, Process peer, string data)
    {
        var options = new TrainingOptions
        {
            Backbone = config.Backbone,
            Head = config.Head,
            BatchSize = BatchSize,
            Steps = config.Warmup + config.Steps,
            Scaling = FeatureScaling.None,
            EvalEvery = 0,
        };
        var start = new JsonObject
        {
            ["backbone"] = Backbones.Name(config.Backbone),
            ["head"] = config.Head.Name(),
            ["data"] = data,
            ["batch"] = BatchSize,
            ["hidden"] = TrainingOptions.DefaultHidden,
            ["dropout"] = options.Dropout,
            ["cnn_width"] = options.CnnWidth,
            ["lr"] = options.PeakLearningRate,
            ["rho"] = Trainer.RmsPropRho,
        };
        Ask(peer, new JsonObject { ["start"] = start });
        var ours = new Dictionary<int, double>();
        double theirs = 0;
        var progress = new Recorder(p =>
        {
            if (p.Phase != TrainingPhase.Training || p.ExamplesPerSecond <= 0 || ours.ContainsKey(p.Step)) return;
            ours[p.Step] = (double)p.Step * BatchSize / p.ExamplesPerSecond;
            double seconds = Ask(peer, new JsonObject { ["step"] = true })["seconds"]!.GetValue<double>();
            if (p.Step > config.Warmup) theirs += seconds;
        });
        Trainer.Train(new TrainingRun { Train = source, Options = options, Embedding = config.Head.UsesEmbedding() ? embedding : null }, progress);
        GC.Collect();
        double timed = config.Steps * BatchSize;
        return (timed / (ours[config.Warmup + config.Steps] - ours[config.Warmup]), timed / theirs);
    }

    static JsonNode Ask(Process peer, JsonObject message)
    {
        peer.StandardInput.WriteLine(message.ToJsonString());
        peer.StandardInput.Flush();
        return JsonNode.Parse(peer.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the peer exited; see its stderr"))!;
    }

    // Progress<T> posts to a thread pool; the recorder must see every step as it happens.
    sealed class Recorder(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
