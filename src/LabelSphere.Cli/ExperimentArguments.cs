using System.CommandLine;
using LabelSphere.Training;
using Spectre.Console;

namespace LabelSphere.Cli;

/// <summary>
/// The training options of the experiment verbs (compare, zeroshot, noise): every model of one experiment trains
/// with the same body, optimizer, schedule and seed, so that only the head or the labels differ.
/// </summary>
internal sealed class ExperimentArguments
{
    static readonly TrainingOptions Defaults = new();

    public readonly Option<BackboneKind> Model = NamedOptions.Create("--model", "Network body, the same for every model", Defaults.Backbone, Backbones.Name);
    public readonly Option<int> Steps = new("--steps") { Description = "Optimizer steps of each model", DefaultValueFactory = _ => 2000 };
    public readonly Option<int> BatchSize = new("--batch-size") { Description = $"Instances per mini-batch (default {Defaults.BatchSize})", DefaultValueFactory = _ => Defaults.BatchSize };
    public readonly Option<double?> LearningRate = new("--lr") { Description = "Peak learning rate (default 1e-3 for rmsprop and adam, 0.05 for sgd)" };
    public readonly Option<OptimizerKind> Optimizer = NamedOptions.Create("--optimizer", "Optimizer", Defaults.Optimizer, Commands.TrainCommand.OptimizerName);
    public readonly Option<string> Hidden = new("--hidden") { Description = $"MLP hidden layer widths, comma-separated, or 'none' (default {string.Join(",", Defaults.Hidden)})", DefaultValueFactory = _ => string.Join(",", Defaults.Hidden) };
    public readonly Option<int> Seed = new("--seed") { Description = "Seed of every run (default 0)", DefaultValueFactory = _ => Defaults.Seed };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Model, Steps, BatchSize, LearningRate, Optimizer, Hidden, Seed }) command.Options.Add(option);
    }

    /// <summary>The options parsed, validated, measured every <paramref name="evalEvery"/> steps, with no checkpoints.</summary>
    public TrainingOptions Get(ParseResult parse, int evalEvery)
    {
        if (evalEvery < 1) throw new ArgumentException("--eval-every must be at least 1");
        var options = Defaults with
        {
            Backbone = parse.GetValue(Model),
            Steps = parse.GetValue(Steps),
            EvalEvery = evalEvery,
            BatchSize = parse.GetValue(BatchSize),
            LearningRate = parse.GetValue(LearningRate),
            Optimizer = parse.GetValue(Optimizer),
            Hidden = Commands.TrainCommand.ParseHidden(parse.GetValue(Hidden)!),
            Seed = parse.GetValue(Seed),
            LogEvery = evalEvery,
            CheckpointEvery = 0,
            Loss = LossKind.Cosine,
        };
        options.Validate();
        return options;
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
