using System.CommandLine;
using LabelSphere.Cli.Commands;
using LabelSphere.Data;
using LabelSphere.Training;
using Spectre.Console;

namespace LabelSphere.Cli;

/// <summary>
/// What the verbs that train the sigmoid baseline and the embedding model side by side share (compare, noise, zeroshot):
/// the data, the embedding, the training options of both runs, the class weights of MAP@100 and a new output folder.
/// </summary>
internal sealed class ComparisonArguments
{
    static readonly TrainingOptions Defaults = new();

    public readonly Argument<string> Train = new("train") { Description = "Training data: features (Mulan ARFF, Extreme Classification text, LIBSVM), text (labels<TAB>text, text CSV or JSON Lines) or, with --images, annotations of images (long or wide CSV, COCO instances JSON)" };

    public readonly Argument<string> Test = new("test") { Description = "Test data of the same kind the models are measured on (its images in --test-images, or --images)" };

    public readonly Option<string> Embedding = new("--embedding") { Description = "Embedding folder written by 'labelsphere embed'; its labels are the classes compared", Required = true };

    public readonly Option<BackboneKind> Model = NamedOptions.Create("--model", "Network body, the same for every model; cnn when --images is given and --model is not", Defaults.Backbone, Backbones.Name);

    public readonly Option<int> Steps = new("--steps") { Description = "Optimizer steps of each model", DefaultValueFactory = _ => 2000 };

    public readonly Option<string> Output;

    public readonly Option<string?> ClassWeights = new("--class-weights") { Description = "Annotations whose label frequencies weight the classes of MAP@100 (the training data by default)" };

    public readonly Option<int> BatchSize = new("--batch-size") { Description = $"Instances per mini-batch (default {Defaults.BatchSize})", DefaultValueFactory = _ => Defaults.BatchSize };

    public readonly Option<double?> LearningRate = new("--lr") { Description = "Peak learning rate (default 1e-3 for rmsprop and adam, 0.05 for sgd)" };

    public readonly Option<OptimizerKind> Optimizer = NamedOptions.Create("--optimizer", "Optimizer", Defaults.Optimizer, TrainCommand.OptimizerName);

    public readonly Option<string> Hidden = new("--hidden")
    {
        Description = $"MLP hidden layer widths, comma-separated, or 'none' (default {string.Join(",", Defaults.Hidden)})",
        DefaultValueFactory = _ => string.Join(",", Defaults.Hidden),
    };

    public readonly Option<int> Seed = new("--seed") { Description = "Seed of every run (default 0)", DefaultValueFactory = _ => Defaults.Seed };

    public readonly Option<double> MinLabelled = TrainingData.MinLabelledOption();

    public readonly Option<double> Dropout = new("--dropout") { Description = $"Dropout probability in the body (default {Defaults.Dropout})", DefaultValueFactory = _ => Defaults.Dropout };

    public readonly Option<double> WeightDecay = new("--weight-decay") { Description = "L2 weight decay (default 0)", DefaultValueFactory = _ => Defaults.WeightDecay };

    public readonly Option<ScheduleKind> Schedule = NamedOptions.Create("--schedule", "Learning-rate schedule", Defaults.Schedule);

    public readonly Option<FeatureScaling> Features = NamedOptions.Create("--features", "Feature scaling", Defaults.Features);

    public readonly Option<double> JointWeight = HeadArguments.JointWeight();

    /// <summary>The joint head's ranking: the mix fitted on the validation split where the verb carves one, else probability + cosine.</summary>
    public readonly Option<JointRanking> JointRanking;

    public readonly Option<double> Validation = new("--validation")
    {
        Description = "Share of the training data carved off (seeded, the same for every model) to choose the weights --keep best keeps and the joint head's fitted mix; the test data only gives the curves and the table (default 0.1; 0 = none)",
        DefaultValueFactory = _ => 0.1,
    };

    public readonly Option<KeepKind> Keep = NamedOptions.Create("--keep",
        "Weights each model keeps and is reported with: the last step's, or those of the evaluation with the best class-weighted MAP@100 on the --validation split",
        KeepKind.Best);

    public readonly ReaderArguments Reader = new(trains: true);

    public readonly ImageArguments Images = new();

    readonly bool classWeights;
    readonly bool selection;

    /// <param name="outputDescription">What the verb writes into --out.</param>
    /// <param name="classWeights">Whether the verb ranks models by the class-weighted MAP@100 and so takes --class-weights.</param>
    /// <param name="selection">Whether the verb measures models during training and so takes --validation and --keep.</param>
    public ComparisonArguments(string outputDescription, bool classWeights = true, bool selection = true)
    {
        Output = new Option<string>("--out") { Description = outputDescription, Required = true };
        this.classWeights = classWeights;
        this.selection = selection;
        JointRanking = HeadArguments.JointRanking(selection ? Training.JointRanking.Fitted : Defaults.JointRanking);
    }

    /// <summary>Adds the arguments and options; <paramref name="extra"/> (the verb's own) go after the training options and before the reader's.</summary>
    public void AddTo(Command command, params Symbol[] extra)
    {
        command.Arguments.Add(Train);
        command.Arguments.Add(Test);
        foreach (var option in new Option[] { Embedding, Model, Steps, Output, ClassWeights, BatchSize, LearningRate, Optimizer, Hidden, Seed, Dropout, WeightDecay, Schedule, Features, JointWeight, JointRanking, Validation, Keep, MinLabelled })
            if ((option != ClassWeights || classWeights) && (selection || (option != Validation && option != Keep))) command.Options.Add(option);
        foreach (var symbol in extra)
        {
            if (symbol is Argument argument) command.Arguments.Add(argument);
            else command.Options.Add((Option)symbol);
        }
        command.Options.Add(OutputArguments.Overwrite);
        command.Options.Add(Cli.Json);
        Reader.AddTo(command);
        Images.AddTo(command);
    }

    /// <summary>
    /// The training options of every run, measured every <paramref name="evalEvery"/> steps, with the head
    /// <paramref name="head"/> (the structured side's; the baseline's is set per run); validated.
    /// </summary>
    public TrainingOptions Options(ParseResult parse, int evalEvery, HeadKind head = HeadKind.Embedding)
    {
        var (backbone, image) = Images.Resolve(parse, Model, parse.GetValue(Reader.SkipInvalid));
        var options = Defaults with
        {
            Backbone = backbone,
            Image = image,
            CnnWidth = parse.GetValue(Images.CnnWidth),
            Steps = parse.GetValue(Steps),
            EvalEvery = evalEvery,
            BatchSize = parse.GetValue(BatchSize),
            LearningRate = parse.GetValue(LearningRate),
            Optimizer = parse.GetValue(Optimizer),
            Hidden = TrainCommand.ParseHidden(parse.GetValue(Hidden)!),
            Seed = parse.GetValue(Seed),
            Dropout = parse.GetValue(Dropout),
            WeightDecay = parse.GetValue(WeightDecay),
            Schedule = parse.GetValue(Schedule),
            Features = parse.GetValue(Features),
            // A log line (and a progress update) at least every default interval, also when measuring rarely.
            LogEvery = Math.Min(Math.Max(1, evalEvery), Defaults.LogEvery),
            CheckpointEvery = 0,
            Head = head,
            JointWeight = parse.GetValue(JointWeight),
            JointRanking = parse.GetValue(JointRanking),
            Keep = selection ? parse.GetValue(Keep) : KeepKind.Last,
            MinLabelledShare = parse.GetValue(MinLabelled),
        };
        options.Validate();
        if (options.EvalEvery < 1) throw new ArgumentException("--eval-every must be at least 1");
        return options;
    }

    /// <summary>
    /// --out opened under the output rule (<see cref="OutputArguments"/>) as <paramref name="kind"/>, before any data
    /// is read; the verb writes into <see cref="IO.OutputFolder.Stage"/> and commits when everything is written.
    /// </summary>
    public IO.OutputFolder OpenOutput(ParseResult parse, IO.OutputKind kind) =>
        OutputArguments.Open(parse, parse.GetValue(Output)!, kind,
            [parse.GetValue(Train), parse.GetValue(Test), parse.GetValue(Embedding), classWeights ? parse.GetValue(ClassWeights) : null,
             parse.GetValue(Images.Images), parse.GetValue(Images.TestImages), .. OutputArguments.ReaderInputs(parse, Reader)]);

    /// <summary>The --validation share, checked against the <paramref name="instances"/> training instances it splits.</summary>
    public double ValidationShare(ParseResult parse, int instances)
    {
        if (!selection) return 0;
        double share = parse.GetValue(Validation);
        if (!(share >= 0 && share < 1)) throw new ArgumentException($"--validation must be at least 0 and below 1 (a share of the training data), got {share}");
        if (share == 0 && parse.GetValue(Keep) == KeepKind.Best) throw new ArgumentException("--keep best chooses weights on the --validation split; give a share above 0, or --keep last");
        try
        {
            InstanceSources.SplitRows(instances, share, parse.GetValue(Seed));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--validation: {e.Message}");
        }
        return share;
    }

    /// <summary>Reads the training and test data over the embedding's labels.</summary>
    public TrainingData Prepare(ParseResult parse, TrainingOptions options) =>
        TrainingData.Prepare(new DataPaths(parse.GetValue(Train)!, parse.GetValue(Test)!, parse.GetValue(Images.Images), parse.GetValue(Images.TestImages)), 0, parse.GetValue(Embedding)!, Reader.Get(parse), options);

    /// <summary>[labels] class weights of MAP@100: from --class-weights, or from the training labels as read.</summary>
    public double[] Weights(ParseResult parse, TrainingData setup)
    {
        if (!classWeights) throw new InvalidOperationException("this verb takes no --class-weights");
        var source = setup.Train.Labels;
        if (parse.GetValue(ClassWeights) is { } path)
        {
            var annotations = ReaderArguments.ReportSkipped(AnnotationReader.Read(path, Reader.Get(parse)));
            source = LabelMapping.Map(annotations.Vocabulary, annotations.Labels, setup.Vocabulary).Labels;
        }
        return Evaluation.ClassWeights.FromLabels(source);
    }

    /// <summary>Runs <paramref name="work"/> under one progress bar per model it trains, on stderr.</summary>
    public static T WithProgress<T>(Func<IProgress<(string Model, TrainingProgress Progress)>, T> work)
    {
        T result = default!;
        Cli.Err.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                result = work(new SynchronousProgress<(string Model, TrainingProgress Progress)>(p =>
                {
                    if (!tasks.TryGetValue(p.Model, out var task)) tasks[p.Model] = task = context.AddTask(p.Model, maxValue: p.Progress.TotalSteps);
                    task.Value = p.Progress.Step;
                    task.Description = $"{p.Model}: loss {p.Progress.Loss:F4}, {p.Progress.ExamplesPerSecond:N0}/s";
                }));
            });
        return result;
    }
}

/// <summary>The options of the heads, shared by every verb that trains.</summary>
internal static class HeadArguments
{
    static readonly TrainingOptions Defaults = new();

    public static Option<HeadKind> Head(string description) => NamedOptions.Create("--head", description, Defaults.Head, HeadKinds.Name);

    public static Option<double> JointWeight() => new("--joint-weight")
    {
        Description = $"Joint head: weight w of the binary cross-entropy in cosine loss + w·BCE (default {Defaults.JointWeight})",
        DefaultValueFactory = _ => Defaults.JointWeight,
    };

    public static Option<JointRanking> JointRanking(JointRanking? defaultValue = null) =>
        NamedOptions.Create("--joint-ranking", "Joint head: how it ranks: its sigmoid half alone, probability + cosine, or a mix fitted on the validation split at every evaluation", defaultValue ?? Defaults.JointRanking);

    public static Option<KeepKind> Keep() =>
        NamedOptions.Create("--keep", "Weights the finished run keeps: the last step's, or those of the evaluation with the best class-weighted MAP@100 on the validation data", Defaults.Keep);

    /// <summary>Parses a comma-separated list of head names (--heads).</summary>
    public static HeadKind[] ParseHeads(string text)
    {
        var names = Enum.GetValues<HeadKind>().ToDictionary(h => h.Name(), h => h);
        var heads = new List<HeadKind>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!names.TryGetValue(part.ToLowerInvariant(), out var head))
                throw new ArgumentException($"--heads: '{part}' is not one of {string.Join(", ", names.Keys)}");
            if (!heads.Contains(head)) heads.Add(head);
        }
        if (heads.Count == 0) throw new ArgumentException($"--heads: name at least one of {string.Join(", ", names.Keys)}");
        return [.. heads];
    }
}
