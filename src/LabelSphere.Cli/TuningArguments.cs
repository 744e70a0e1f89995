using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using LabelSphere.Evaluation;
using LabelSphere.Training;

namespace LabelSphere.Cli;

/// <summary>
/// compare's tuning grid: --tune-lr, --tune-dropout, --tune-weight-decay and --tune-features each make their option an
/// axis of values to try. Every model of the comparison, the baseline first, trains once per setting of the grid (their
/// product) and keeps the setting with the best class-weighted MAP@100 on the validation split: the same budget for
/// every side, chosen without the test set.
/// </summary>
internal sealed class TuningArguments
{
    public readonly Option<double[]?> LearningRates = Values("--tune-lr", "Learning rates to try (comma-separated), instead of --lr",
        v => v > 0, "a learning rate above 0");

    public readonly Option<double[]?> Dropouts = Values("--tune-dropout", "Dropout probabilities to try (comma-separated), instead of --dropout",
        v => v is >= 0 and < 1, "a dropout probability of at least 0 and below 1");

    public readonly Option<double[]?> WeightDecays = Values("--tune-weight-decay", "Weight decays to try (comma-separated), instead of --weight-decay",
        v => v >= 0, "a weight decay of at least 0");

    public readonly Option<FeatureScaling[]?> Features;

    public TuningArguments()
    {
        var names = Enum.GetValues<FeatureScaling>().ToDictionary(s => Cli.Kebab(s.ToString()), s => s);
        Features = new Option<FeatureScaling[]?>("--tune-features")
        {
            Description = $"Feature scalings to try (comma-separated: {string.Join(", ", names.Keys)}), instead of --features",
            CustomParser = r => List<FeatureScaling>(r, "--tune-features", t => names.TryGetValue(t.ToLowerInvariant(), out var s) ? s : null,
                $"one of {string.Join(", ", names.Keys)}"),
        };
    }

    /// <summary>The options, in the order help lists them.</summary>
    public IEnumerable<Option> All() => [LearningRates, Dropouts, WeightDecays, Features];

    /// <summary>Whether the command line names an axis.</summary>
    public bool Any(ParseResult parse) => All().Any(o => TrainingArguments.Given(parse, o));

    /// <summary>The names of the axes the command line gives ("lr", "dropout", "weight decay", "features"), as settings' labels name them.</summary>
    public IReadOnlyCollection<string> Axes(ParseResult parse) =>
        [.. new (Option Option, string Name)[] { (LearningRates, "lr"), (Dropouts, "dropout"), (WeightDecays, "weight decay"), (Features, "features") }
            .Where(a => TrainingArguments.Given(parse, a.Option)).Select(a => a.Name)];

    /// <summary>
    /// The grid the command line asks for (empty without a --tune-* option): the product of its axes over
    /// <paramref name="options"/>, the data prepared once per feature scaling by <paramref name="prepare"/>
    /// (<paramref name="setup"/> is the data as prepared for <paramref name="options"/>). Refuses an axis given
    /// together with the option it replaces, and a grid without a validation split.
    /// </summary>
    public IReadOnlyList<TuningSetting> Grid(ParseResult parse, TrainingArguments training, TrainingOptions options, double validationShare,
                                             TrainingData setup, Func<FeatureScaling, TrainingData> prepare)
    {
        if (!Any(parse)) return [];
        foreach (var (axis, replaced) in new (Option Axis, Option Replaced)[]
                 { (LearningRates, training.LearningRate), (Dropouts, training.Dropout), (WeightDecays, training.WeightDecay), (Features, training.Features) })
            if (TrainingArguments.Given(parse, axis) && TrainingArguments.Given(parse, replaced))
                throw new UsageException($"{axis.Name}: the values to try replace {replaced.Name}; give one or the other");
        var axis0 = All().First(o => TrainingArguments.Given(parse, o));
        if (validationShare <= 0)
            throw new UsageException($"{axis0.Name}: the grid chooses each model's setting on the validation split, and this run has none; give --validation above 0");

        var rates = Axis(parse, LearningRates)?.Select(v => (double?)v).ToArray();
        var dropouts = Axis(parse, Dropouts);
        var decays = Axis(parse, WeightDecays);
        var scalings = Axis(parse, Features);
        if (scalings is not null && setup.Image is not null)
            throw new UsageException("--tune-features: feature scaling applies to feature data, and this run trains on images");
        var data = new Dictionary<FeatureScaling, TrainingData> { [options.Scaling] = setup };
        var grid = new List<TuningSetting>();
        foreach (var scaling in scalings ?? [options.Scaling])
            foreach (var rate in rates ?? [options.LearningRate])
                foreach (var dropout in dropouts ?? [options.Dropout])
                    foreach (var decay in decays ?? [options.WeightDecay])
                    {
                        var setting = options with { Scaling = scaling, LearningRate = rate, Dropout = dropout, WeightDecay = decay };
                        setting.Validate();
                        var parts = new List<string>();
                        if (rates is not null) parts.Add($"lr {G(setting.PeakLearningRate)}");
                        if (dropouts is not null) parts.Add($"dropout {G(dropout)}");
                        if (decays is not null) parts.Add($"weight decay {G(decay)}");
                        if (scalings is not null) parts.Add($"features {Cli.Kebab(scaling.ToString())}");
                        if (!data.TryGetValue(scaling, out var prepared)) data[scaling] = prepared = prepare(scaling);
                        grid.Add(new TuningSetting(string.Join(", ", parts), setting, prepared.Train, prepared.Validation!));
                    }
        return grid;
    }

    // An axis's values, or null when the command line does not name it (an array option not given reads as empty).
    static T[]? Axis<T>(ParseResult parse, Option<T[]?> option) => TrainingArguments.Given(parse, option) ? parse.GetValue(option) : null;

    static string G(double v) => v.ToString("G3", CultureInfo.InvariantCulture);

    static Option<double[]?> Values(string name, string description, Func<double, bool> valid, string what) => new(name)
    {
        Description = description,
        CustomParser = r => List<double>(r, name, t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && valid(v) ? v : null, what),
    };

    // A comma-separated list of distinct values, each parsed by parse (null: not a value, reported as not being `what`).
    static T[]? List<T>(ArgumentResult result, string name, Func<string, T?> parse, string what) where T : struct
    {
        var values = new List<T>();
        foreach (var token in result.Tokens[0].Value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (parse(token) is { } value) { if (!values.Contains(value)) values.Add(value); }
            else
            {
                result.AddError($"{name}: '{IO.Printable.Shorten(token)}' is not {what}");
                return null;
            }
        }
        return [.. values];
    }
}
