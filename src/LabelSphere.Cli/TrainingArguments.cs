using System.CommandLine;
using LabelSphere.Training;
using TorchSharp;

namespace LabelSphere.Cli;

/// <summary>
/// The training options, built once and added to every verb that trains (train, compare, zeroshot, noise, demo), with
/// one name, one meaning and one default each; <see cref="Options"/> turns a command line into <see cref="TrainingOptions"/>.
/// </summary>
internal sealed class TrainingArguments
{
    static readonly TrainingOptions Defaults = new();

    /// <summary>The share of the training data carved off for validation unless --validation says otherwise.</summary>
    public const double DefaultValidationShare = 0.1;

    public readonly Option<BackboneKind> Model = NamedOptions.Create("--model", "Network body; cnn when --images is given and --model is not", Defaults.Backbone, Backbones.Name);

    public readonly Option<int> Epochs = new Option<int>("--epochs") { Description = "Passes over the training data", DefaultValueFactory = _ => Defaults.Epochs }.AtLeast(1);

    public readonly Option<int?> Steps;

    public readonly Option<int> BatchSize = new Option<int>("--batch-size") { Description = $"Instances per mini-batch ({ImageArguments.FineTuneBatchSize} with --fine-tune)", DefaultValueFactory = _ => Defaults.BatchSize }.AtLeast(1);

    public readonly Option<double?> LearningRate = new Option<double?>("--lr") { Description = "Peak learning rate (default 1e-3 for rmsprop and adam, 0.05 for sgd)" }.Above(0.0);

    public readonly Option<OptimizerKind> Optimizer = NamedOptions.Create("--optimizer", "Optimizer", Defaults.Optimizer, OptimizerName);

    public readonly Option<double> Momentum = new Option<double>("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => Defaults.Momentum }.Between(0.0, 1.0, maximumIncluded: false);

    public readonly Option<double> WeightDecay = new Option<double>("--weight-decay") { Description = "L2 weight decay", DefaultValueFactory = _ => Defaults.WeightDecay }.AtLeast(0.0);

    public readonly Option<ScheduleKind> Schedule = NamedOptions.Create("--schedule", "Learning-rate schedule", Defaults.Schedule);

    public readonly Option<int> Warmup = new Option<int>("--warmup") { Description = "Steps of linear learning-rate warm-up", DefaultValueFactory = _ => Defaults.WarmupSteps }.AtLeast(0);

    public readonly Option<int> Seed = new Option<int>("--seed") { Description = "Seed of initialisation, dropout, shuffling and the validation split; one seed gives identical runs", DefaultValueFactory = _ => Defaults.Seed }.AtLeast(0);

    public readonly Option<DeviceKind> Device = NamedOptions.Create("--device", "Where to train (cuda needs a CUDA build of TorchSharp) and where resnet18-imagenet extracts features (cuda: where ONNX Runtime has its CUDA provider and a device, else the CPU, with a line saying why)", Defaults.Device);

    public readonly Option<int?> Threads = new Option<int?>("--threads") { Description = "CPU threads libtorch uses (its default otherwise)" }.AtLeast(1);

    public readonly Option<string> Hidden = new("--hidden")
    {
        Description = "MLP hidden layer widths, comma-separated, or 'none' for a linear model",
        DefaultValueFactory = _ => string.Join(",", Defaults.Hidden),
        Validators = { r => { try { ParseHidden(r.GetValueOrDefault<string>() ?? ""); } catch (ArgumentException e) { r.AddError(e.Message); } } },
    };

    public readonly Option<double> Dropout = new Option<double>("--dropout") { Description = "Dropout probability in the body", DefaultValueFactory = _ => Defaults.Dropout }.Between(0.0, 1.0, maximumIncluded: false);

    public readonly Option<FeatureScaling> Features = NamedOptions.Create("--features", "Scaling of the feature vectors", Defaults.Scaling);

    public readonly Option<bool> PriorBias = new("--prior-bias")
    {
        Description = "Sigmoid head: start each label's bias at the log-odds of its training frequency (--prior-bias false: at 0)",
        DefaultValueFactory = _ => Defaults.PriorBias,
    };

    public readonly Option<double> JointWeight = new Option<double>("--joint-weight")
    {
        Description = "Joint head: weight w of the binary cross-entropy in cosine loss + w·BCE",
        DefaultValueFactory = _ => Defaults.JointWeight,
    }.Above(0.0);

    public readonly Option<JointRanking> JointRanking = NamedOptions.Create("--joint-ranking",
        "Joint head: how it ranks: its sigmoid half alone, probability + cosine, or a mix fitted on the validation split at every evaluation (sum when there is no validation split)",
        Training.JointRanking.Fitted);

    public readonly Option<BinaryLoss> BinaryLoss = NamedOptions.Create("--binary-loss",
        "Loss of the per-label sigmoid outputs (sigmoid, cosine-logit and joint heads): cross-entropy, or the asymmetric loss (Ridnik et al. 2021: negatives the model already ranks low count less)",
        Defaults.BinaryLoss);

    public readonly Option<int> EvalEvery;

    public readonly Option<int> LogEvery = new Option<int>("--log-every") { Description = "Write a line to train.jsonl every this many steps", DefaultValueFactory = _ => Defaults.LogEvery }.AtLeast(1);

    public readonly Option<double> MinLabelled = TrainingData.MinLabelledOption();

    public readonly Option<double> Validation = new Option<double>("--validation")
    {
        Description = "Share of the training data carved off (seeded) for validation: it chooses the weights --keep best keeps and the joint head's fitted mix (0 = none)",
        DefaultValueFactory = _ => DefaultValidationShare,
    }.Between(0.0, 1.0, maximumIncluded: false);

    public readonly Option<KeepKind> Keep = NamedOptions.Create("--keep",
        "Weights the finished run keeps: the last step's, or those of the evaluation with the best class-weighted MAP@100 on the validation split (last when there is no validation split)",
        KeepKind.Best);

    public readonly ImageArguments Images = new();

    readonly bool selection;

    /// <param name="selection">
    /// Whether the verb measures its models during training and so takes --validation, --keep and --eval-every
    /// (zeroshot scores the final models only).
    /// </param>
    /// <param name="budget">
    /// Steps and evaluation interval by default instead of --epochs and the library's interval: the demo's budget of
    /// a few minutes, the one place the defaults differ.
    /// </param>
    public TrainingArguments(bool selection = true, (int Steps, int EvalEvery)? budget = null)
    {
        this.selection = selection;
        Steps = new Option<int?>("--steps") { Description = "Optimizer steps (overrides --epochs)" }.AtLeast(1);
        if (budget is { } b) Steps.DefaultValueFactory = _ => b.Steps;
        EvalEvery = new Option<int>("--eval-every")
        {
            Description = "Measure the model every this many steps (0 = at the end only)",
            DefaultValueFactory = _ => budget?.EvalEvery ?? Defaults.EvalEvery,
        }.AtLeast(0);
    }

    /// <summary>The options, in the order help lists them.</summary>
    public IEnumerable<Option> All()
    {
        Option[] options = [Model, Epochs, Steps, BatchSize, LearningRate, Optimizer, Momentum, WeightDecay, Schedule, Warmup, Seed, Device, Threads,
                            Hidden, Dropout, Features, PriorBias, JointWeight, JointRanking, BinaryLoss, MinLabelled, LogEvery];
        return selection ? [.. options, Validation, Keep, EvalEvery] : options;
    }

    /// <summary>Adds the training options, then the image options.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in All()) command.Options.Add(option);
        Images.AddTo(command);
    }

    /// <summary>Whether the command line names <paramref name="option"/> (rather than leaving its default).</summary>
    public static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>
    /// The training options the command line asks for, with <paramref name="head"/>; <paramref name="validation"/>
    /// says whether the run has validation data (else --keep and --joint-ranking fall back to last and sum). Sets
    /// libtorch's thread count when --threads is given. Validated.
    /// </summary>
    public TrainingOptions Options(ParseResult parse, bool skipInvalid, HeadKind head, bool validation)
    {
        var (backbone, image, fineTune) = Images.Resolve(parse, Model, skipInvalid);
        if (image is { Pretrained: not null }) image = image with { Device = parse.GetValue(Device) };
        var keep = selection && Given(parse, Keep) ? parse.GetValue(Keep) : validation ? KeepKind.Best : KeepKind.Last;
        var ranking = Given(parse, JointRanking) ? parse.GetValue(JointRanking) : validation ? Training.JointRanking.Fitted : Training.JointRanking.Sum;
        if (keep == KeepKind.Best && !validation)
            throw new UsageException("--keep best chooses weights on the validation split, and this run has none; give --validation above 0, or --keep last");
        if (head == HeadKind.Joint && ranking == Training.JointRanking.Fitted && !validation)
            throw new UsageException("--joint-ranking fitted fits its mix on the validation split, and this run has none; give --validation above 0, or --joint-ranking sum");
        var options = Defaults with
        {
            Backbone = backbone,
            FineTune = fineTune,
            Image = image,
            CnnWidth = parse.GetValue(Images.CnnWidth),
            Head = head,
            Epochs = parse.GetValue(Epochs),
            // --epochs given alone sets the length, also where --steps has a default (the demo's budget).
            Steps = Given(parse, Epochs) && !Given(parse, Steps) ? null : parse.GetValue(Steps),
            BatchSize = fineTune != FineTuneKind.None && !Given(parse, BatchSize) ? ImageArguments.FineTuneBatchSize : parse.GetValue(BatchSize),
            LearningRate = parse.GetValue(LearningRate),
            Optimizer = parse.GetValue(Optimizer),
            Momentum = parse.GetValue(Momentum),
            WeightDecay = parse.GetValue(WeightDecay),
            Schedule = parse.GetValue(Schedule),
            WarmupSteps = parse.GetValue(Warmup),
            Seed = parse.GetValue(Seed),
            Device = parse.GetValue(Device),
            Hidden = ParseHidden(parse.GetValue(Hidden)!),
            Dropout = parse.GetValue(Dropout),
            Scaling = parse.GetValue(Features),
            PriorBias = parse.GetValue(PriorBias),
            JointWeight = parse.GetValue(JointWeight),
            JointRanking = ranking,
            BinaryLoss = parse.GetValue(BinaryLoss),
            Keep = keep,
            EvalEvery = selection ? parse.GetValue(EvalEvery) : 0,
            LogEvery = parse.GetValue(LogEvery),
            MinLabelledShare = parse.GetValue(MinLabelled),
        };
        options.Validate();
        if (parse.GetValue(Threads) is { } threads)
        {
            Native.TorchRuntime.EnsureLoaded();
            torch.set_num_threads(threads);
        }
        return options;
    }

    /// <summary>The --validation share, or 0 for a verb that takes none.</summary>
    public double ValidationShare(ParseResult parse) => selection ? parse.GetValue(Validation) : 0;

    internal static string OptimizerName(OptimizerKind kind) => kind switch
    {
        OptimizerKind.RmsProp => "rmsprop",
        OptimizerKind.Adam => "adam",
        OptimizerKind.Sgd => "sgd",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown optimizer"),
    };

    internal static int[] ParseHidden(string text)
    {
        if (text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)) return [];
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException("--hidden: give widths like 1024 or 1024,512, or 'none'");
        var widths = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out widths[i]) || widths[i] < 1)
                throw new ArgumentException($"--hidden: '{IO.Printable.Shorten(parts[i])}' is not a positive layer width; give widths like 1024 or 1024,512, or 'none'");
        return widths;
    }
}
