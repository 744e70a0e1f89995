using System.CommandLine;
using LabelSphere.Cli.Commands;
using LabelSphere.Data;
using LabelSphere.Training;
using Spectre.Console;

namespace LabelSphere.Cli;

/// <summary>
/// What the verbs that train the sigmoid baseline and the embedding model side by side share (compare, noise, zeroshot):
/// the data, the embedding, the training options (<see cref="TrainingArguments"/>, the same as train's), the class
/// weights of MAP@100 and a new output folder.
/// </summary>
internal sealed class ComparisonArguments
{
    public readonly Argument<string> Train = new("train") { Description = "Training data: features (Mulan ARFF, Extreme Classification text, LIBSVM), text (labels<TAB>text, text CSV or JSON Lines) or, with --images, annotations of images (long or wide CSV, COCO instances JSON)" };

    public readonly Argument<string> Test = new("test") { Description = "Test data of the same kind the models are measured on (its images in --test-images, or --images)" };

    public readonly Option<string> Embedding = new("--embedding") { Description = "Embedding folder written by 'labelsphere embed'; its labels are the classes compared", Required = true };

    public readonly Option<string> Output;

    public readonly Option<string?> ClassWeights = new("--class-weights") { Description = "Annotations whose label frequencies weight the classes of MAP@100 (the training data by default)" };

    public readonly TrainingArguments Training;

    public readonly ReaderArguments Reader = new(trains: true);

    public ImageArguments Images => Training.Images;

    readonly bool classWeights;

    /// <param name="outputDescription">What the verb writes into --out.</param>
    /// <param name="classWeights">Whether the verb ranks models by the class-weighted MAP@100 and so takes --class-weights.</param>
    /// <param name="selection">Whether the verb measures models during training and so takes --validation, --keep and --eval-every.</param>
    public ComparisonArguments(string outputDescription, bool classWeights = true, bool selection = true)
    {
        Output = new Option<string>("--out") { Description = outputDescription, Required = true };
        this.classWeights = classWeights;
        Training = new TrainingArguments(selection);
    }

    /// <summary>Adds the arguments and options; <paramref name="extra"/> (the verb's own) go after the training options and before the reader's.</summary>
    public void AddTo(Command command, params Symbol[] extra)
    {
        command.Arguments.Add(Train);
        command.Arguments.Add(Test);
        command.Options.Add(Embedding);
        command.Options.Add(Output);
        if (classWeights) command.Options.Add(ClassWeights);
        foreach (var option in Training.All()) command.Options.Add(option);
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
    /// The training options of every run, with the head <paramref name="head"/> (the structured side's; the
    /// baseline's is set per run); validated. The runs never checkpoint: an experiment is rerun, not resumed.
    /// </summary>
    public TrainingOptions Options(ParseResult parse, HeadKind head = HeadKind.Embedding) =>
        Training.Options(parse, parse.GetValue(Reader.SkipInvalid), head, Training.ValidationShare(parse) > 0) with { CheckpointEvery = 0 };

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
        double share = Training.ValidationShare(parse);
        try
        {
            InstanceSources.SplitRows(instances, share, parse.GetValue(Training.Seed));
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
        Cli.Progress()
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

    /// <summary>Checks --heads when the command line is parsed, so a misspelt head is a usage error.</summary>
    public static void ValidateHeads(System.CommandLine.Parsing.OptionResult result)
    {
        try
        {
            ParseHeads(result.GetValueOrDefault<string>() ?? "");
        }
        catch (ArgumentException e)
        {
            result.AddError(e.Message);
        }
    }

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
