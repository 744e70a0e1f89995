using System.Globalization;
using System.Text;
using LabelSphere.Embedding;
using LabelSphere.IO;
using LabelSphere.Training;

namespace LabelSphere.Evaluation;

/// <summary>One evaluation point of one model in a comparison.</summary>
/// <param name="Model">"sigmoid" or the head and its dimension ("embedding k=64", "joint k=64").</param>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="PaperMap">MAP@100 as the paper writes it, classes unweighted.</param>
/// <param name="WeightedPaperMap">The same, classes weighted by their capped frequency.</param>
/// <param name="Ap100">AP@100 (precision at relevant ranks / min(positives, 100)), mean over classes.</param>
/// <param name="PrecisionAt1">Instance-wise precision@1.</param>
/// <param name="PrecisionAt5">Instance-wise precision@5.</param>
/// <param name="NdcgAt5">Instance-wise nDCG@5.</param>
internal sealed record CurvePoint(string Model, int Step, double PaperMap, double? WeightedPaperMap, double Ap100, double PrecisionAt1, double PrecisionAt5, double NdcgAt5);

/// <summary>
/// How fast and how far one model of a comparison got, against the sigmoid baseline; scores are the comparison's
/// MAP@100 (<see cref="ComparisonResult.Score"/>) on the test set.
/// </summary>
/// <param name="Step">The step of the weights the model kept (its last, or the best on validation).</param>
/// <param name="Final">Its score at <paramref name="Step"/>.</param>
/// <param name="Relative">(final − baseline's final) / baseline's final, or null when the baseline scores 0.</param>
/// <param name="First">Its first measurement.</param>
/// <param name="Best">Its best measurement on the test set (the first, on ties): an upper bound no selection rule sees.</param>
/// <param name="ReachesBaseline">The first step at which it reaches the baseline's final score, or null.</param>
/// <param name="BaselineReaches">The first step at which the baseline itself reached its final score (not its last step).</param>
/// <param name="BaselineLastStep">The baseline's last measured step.</param>
/// <param name="EndsBelow">Whether its final score is below the baseline's.</param>
internal sealed record Convergence(int Step, double Final, double? Relative, CurvePoint First, CurvePoint Best, int? ReachesBaseline,
                                 int BaselineReaches, int BaselineLastStep, bool EndsBelow)
{
    /// <summary>BaselineReaches / ReachesBaseline: how many times fewer steps it needs than the baseline needed for the same score.</summary>
    public double? RatioToBaselineReach => ReachesBaseline is { } r ? (double)BaselineReaches / r : null;

    /// <summary>BaselineLastStep / ReachesBaseline: the same against the baseline's whole run (flatters a baseline that plateaued early).</summary>
    public double? RatioToBaselineLast => ReachesBaseline is { } r ? (double)BaselineLastStep / r : null;
}

/// <summary>One model trained in a comparison: its name, its curve and what training reported.</summary>
/// <param name="Setting">With a tuning grid, the label of the setting chosen for it on validation; null without one.</param>
internal sealed record ComparedModel(string Name, int? Dimension, IReadOnlyList<CurvePoint> Curve, TrainingResult Training, string? Setting = null)
{
    /// <summary>
    /// The measurement of the weights the model kept: at the step <see cref="KeepKind.Best"/> chose on validation,
    /// else the last.
    /// </summary>
    public CurvePoint Final => Training.KeptStep is { } step ? Curve.LastOrDefault(p => p.Step == step)
        ?? throw new InvalidOperationException($"{Name} kept the weights of step {step}, which its curve does not measure") : Curve[^1];
}

/// <summary>
/// The paper's experiment on any data set (sections 4.3–4.4, figure 1): the heads that use the label embedding and the
/// sigmoid baseline trained with identical settings, all measured on the test set every n steps.
/// </summary>
/// <param name="Baseline">The sigmoid model.</param>
/// <param name="Embeddings">The other models: one per head and embedding dimension k.</param>
/// <param name="Tuning">With a tuning grid, every model's every setting and its validation score; empty without one.</param>
internal sealed record ComparisonResult(ComparedModel Baseline, IReadOnlyList<ComparedModel> Embeddings, IReadOnlyList<TuningRow> Tuning)
{
    /// <summary>All models, baseline first.</summary>
    public IEnumerable<ComparedModel> Models => Embeddings.Prepend(Baseline);

    /// <summary>
    /// The first step at which <paramref name="model"/> reaches the baseline's final weighted (or unweighted) MAP@100
    /// (the score of the weights the baseline kept), or null.
    /// </summary>
    public int? StepReachingBaseline(ComparedModel model) => FirstReaching(model, Score(Baseline.Final));

    /// <summary>The MAP@100 the comparison ranks by: class-weighted when weights were given, unweighted otherwise.</summary>
    public static double Score(CurvePoint point) => point.WeightedPaperMap ?? point.PaperMap;

    /// <summary>The convergence figures of <paramref name="model"/> against the baseline (see <see cref="Convergence"/>).</summary>
    public Convergence ConvergenceOf(ComparedModel model)
    {
        var final = Score(model.Final);
        var baseFinal = Score(Baseline.Final);
        int baseReach = FirstReaching(Baseline, baseFinal)
            ?? throw new InvalidOperationException("the baseline's curve does not contain its own final score");
        var best = model.Curve[0];
        foreach (var point in model.Curve) if (Score(point) > Score(best)) best = point;
        return new Convergence(model.Final.Step, final, baseFinal > 0 ? (final - baseFinal) / baseFinal : null, model.Curve[0], best,
            FirstReaching(model, baseFinal), baseReach, Baseline.Curve[^1].Step, final < baseFinal);
    }

    static int? FirstReaching(ComparedModel model, double target)
    {
        foreach (var point in model.Curve) if (Score(point) >= target) return point.Step;
        return null;
    }

    /// <summary>Writes the curves as CSV (one row per model and evaluation step).</summary>
    public void WriteCurves(string path) => AtomicFolder.WriteFile(path, stream =>
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        writer.WriteLine("model,step,map100_paper,map100_paper_weighted,ap100,precision_at_1,precision_at_5,ndcg_at_5");
        foreach (var model in Models)
            foreach (var p in model.Curve)
                writer.WriteLine(string.Join(",", model.Name, p.Step.ToString(CultureInfo.InvariantCulture), F(p.PaperMap),
                    p.WeightedPaperMap is { } w ? F(w) : "", F(p.Ap100), F(p.PrecisionAt1), F(p.PrecisionAt5), F(p.NdcgAt5)));
    });

    /// <summary>
    /// The results table in Markdown: each model's metrics at the weights it kept (and the step they are from), its
    /// relative difference to the baseline, its first measurement and its best test measurement, and the convergence
    /// figures of <see cref="Convergence"/>: the step it first reaches the baseline's final MAP@100, the step the
    /// baseline itself first reached it, and the ratios of steps against both that step and the baseline's last. A
    /// model that ends below the baseline is marked so wherever a ratio is shown. With a tuning grid, a column gives
    /// each model's chosen setting.
    /// </summary>
    public string Table()
    {
        var text = new StringBuilder();
        bool weighted = Baseline.Final.WeightedPaperMap is not null;
        bool tuned = Models.Any(m => m.Setting is not null);
        string map = weighted ? "class-weighted MAP@100" : "MAP@100";
        text.AppendLine($"| model |{(tuned ? " setting chosen on validation |" : "")} parameters (head) | MAP@100 (paper){(weighted ? " | class-weighted MAP@100" : "")} | AP@100 | P@1 | P@5 | nDCG@5 | at step | vs baseline | " +
                        $"first measurement (step) | best on test (step) | first reaches baseline's final {map} | baseline first reached it | " +
                        "steps ratio vs baseline's first reach | steps ratio vs baseline's last step |");
        text.AppendLine($"|---|---|---{(tuned ? "|---" : "")}{(weighted ? "|---" : "")}|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var model in Models)
        {
            var c = ConvergenceOf(model);
            var last = model.Final;
            bool isBaseline = model == Baseline;
            string relative = isBaseline ? "—" : c.Relative is { } r ? $"{r:+0.0%;-0.0%}{(c.EndsBelow ? " (ends below)" : "")}" : "n/a";
            string Ratio(double? ratio) => isBaseline ? "—" : ratio is { } x ? $"{x:F1}× fewer{(c.EndsBelow ? $", but ends {-c.Relative!.Value:0.0%} below the baseline" : "")}" : "not reached";
            text.AppendLine($"| {model.Name} |{(tuned ? $" {model.Setting} |" : "")} {model.Training.Parameters.Head:N0} | {last.PaperMap:F4}{(weighted ? $" | {last.WeightedPaperMap:F4}" : "")} | {last.Ap100:F4} | " +
                            $"{last.PrecisionAt1:F4} | {last.PrecisionAt5:F4} | {last.NdcgAt5:F4} | {c.Step} | {relative} | " +
                            $"{Score(c.First):F4} ({c.First.Step}) | {Score(c.Best):F4} ({c.Best.Step}) | {c.ReachesBaseline?.ToString(CultureInfo.InvariantCulture) ?? "not reached"} | " +
                            $"{c.BaselineReaches} (its last: {c.BaselineLastStep}) | {Ratio(c.RatioToBaselineReach)} | {Ratio(c.RatioToBaselineLast)} |");
        }
        return text.ToString();
    }

    /// <summary>
    /// The tuning table in Markdown: for every model, every setting of the grid with its kept step and validation
    /// score, the chosen one in bold; empty without a grid.
    /// </summary>
    public string TuningTable()
    {
        if (Tuning.Count == 0) return "";
        var text = new StringBuilder();
        text.AppendLine("| model | setting | kept step | validation score |");
        text.AppendLine("|---|---|---|---|");
        foreach (var row in Tuning)
        {
            string B(string cell) => row.Chosen ? $"**{cell}**" : cell;
            text.AppendLine($"| {row.Model} | {B(row.Setting)} | {row.KeptStep.ToString(CultureInfo.InvariantCulture)} | {B(row.Validation.ToString("F4", CultureInfo.InvariantCulture))} |");
        }
        return text.ToString();
    }

    /// <summary>Writes <see cref="Tuning"/> as CSV (model, setting, kept step, validation score, chosen).</summary>
    public void WriteTuning(string path) => AtomicFolder.WriteFile(path, stream =>
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        writer.WriteLine("model,setting,kept_step,validation_score,chosen");
        foreach (var row in Tuning)
            writer.WriteLine(string.Join(",", row.Model, $"\"{row.Setting}\"", row.KeptStep.ToString(CultureInfo.InvariantCulture), F(row.Validation), row.Chosen ? "1" : "0"));
    });

    static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
}

/// <summary>One setting of one model in a comparison's tuning grid.</summary>
/// <param name="Model">The model's name ("sigmoid", "joint k=64").</param>
/// <param name="Setting">The setting's label ("lr 0.003, dropout 0.5").</param>
/// <param name="KeptStep">The step of the weights the run kept.</param>
/// <param name="Validation">Its validation score there: the class-weighted MAP@100 (or what <see cref="KeepKind.Best"/> selects by).</param>
/// <param name="Chosen">Whether this setting was chosen for the model (the best validation score, the first on ties).</param>
internal sealed record TuningRow(string Model, string Setting, int KeptStep, double Validation, bool Chosen);

/// <summary>
/// One setting of a comparison's tuning grid: the options every model trains with under it and the data prepared
/// for it (feature scaling is part of the data).
/// </summary>
/// <param name="Label">What sets it apart from the other settings ("lr 0.003, dropout 0.5").</param>
/// <param name="Options">Training options; the head is set per model.</param>
/// <param name="Train">Training instances (the same instances as every other setting's, perhaps scaled otherwise).</param>
/// <param name="Test">Test instances, scaled as <paramref name="Train"/>.</param>
internal sealed record TuningSetting(string Label, TrainingOptions Options, IInstanceSource Train, IInstanceSource Test);

/// <summary>
/// Runs the comparison: the sigmoid baseline, then every other head (one model per embedding dimension), each measured
/// every n steps. Every model trains on the same batches in the same order (the permutations depend on the seed only)
/// from the same body initialisation, for the same number of steps.
/// </summary>
internal static class ComparisonRunner
{
    /// <summary>What to compare on what.</summary>
    /// <param name="Train">Training instances over the embedding's vocabulary.</param>
    /// <param name="Test">Test instances over the same vocabulary.</param>
    /// <param name="Embeddings">One embedding per dimension to try.</param>
    /// <param name="Options">Training options shared by every model; the head is set per model.</param>
    /// <param name="Output">Folder that receives one training run per model.</param>
    /// <param name="ClassWeights">[labels] weights of the class-weighted MAP@100, or null.</param>
    public sealed record Setup(IInstanceSource Train, IInstanceSource Test, IReadOnlyList<LabelEmbedding> Embeddings, TrainingOptions Options,
                               string Output, double[]? ClassWeights)
    {
        /// <summary>The heads compared with the sigmoid baseline, which is always trained (listing it again changes nothing).</summary>
        public IReadOnlyList<HeadKind> Heads { get; init; } = [HeadKind.Embedding];

        /// <summary>
        /// The share of the training instances carved off for validation (0 = none), by a split seeded from the options'
        /// seed, the same for every model: every model is measured on them at each evaluation, and they alone choose the
        /// joint head's fitted mix and the weights <see cref="KeepKind.Best"/> keeps. The test set only ever gives the
        /// curves and the table.
        /// </summary>
        public double ValidationShare { get; init; }

        /// <summary>
        /// A tuning grid: every model trains once per setting, and keeps the setting with the best validation score at
        /// its kept step; every model gets the same grid. Empty (the default): one run per model, with
        /// <see cref="Options"/>, <see cref="Train"/> and <see cref="Test"/>. A grid needs a validation split.
        /// </summary>
        public IReadOnlyList<TuningSetting> Grid { get; init; } = [];
    }

    /// <summary>Trains and measures every model; <paramref name="progress"/> receives (model name, training progress).</summary>
    public static ComparisonResult Run(Setup setup, IProgress<(string Model, TrainingProgress Progress)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (setup.Embeddings.Count == 0 && setup.Heads.Any(h => h.UsesEmbedding())) throw new ArgumentException("the structured heads need a label embedding", nameof(setup.Embeddings));
        bool tuned = setup.Grid.Count > 0;
        if (tuned && setup.ValidationShare <= 0) throw new ArgumentException("a tuning grid chooses each model's setting on the validation split, and there is none", nameof(setup.Grid));
        if (setup.Grid.Any(g => g.Train.Count != setup.Train.Count)) throw new ArgumentException("every setting of the tuning grid must hold the same training instances", nameof(setup.Grid));
        var grid = tuned ? setup.Grid : [new TuningSetting("", setup.Options, setup.Train, setup.Test)];
        var inversePropensities = Propensity.Inverse(setup.Train.Labels);
        int cutoffs = Math.Min(5, setup.Train.Vocabulary.Count);
        var metricsOptions = new MetricsOptions { Cutoffs = cutoffs >= 5 ? [1, 3, 5] : [1] };
        var device = Devices.Resolve(setup.Options.Device);
        var (trainRows, validationRows) = InstanceSources.SplitRows(setup.Train.Count, setup.ValidationShare, setup.Options.Seed);
        var tuning = new List<TuningRow>();

        ComparedModel TrainOne(string name, string folder, TuningSetting setting, HeadKind head, LabelEmbedding? embedding)
        {
            var curve = new List<CurvePoint>();
            string shown = tuned ? $"{name} ({setting.Label})" : name;
            var run = new TrainingRun
            {
                Train = validationRows.Length > 0 ? setting.Train.Subset(trainRows) : setting.Train,
                Validation = validationRows.Length > 0 ? setting.Train.Subset(validationRows) : null,
                Options = setting.Options with { Head = head },
                Embedding = embedding,
                Output = folder,
                OnEvaluate = (step, model) =>
                {
                    var report = ModelEvaluation.Evaluate(model, setting.Test, device, metricsOptions, setup.ClassWeights ?? default,
                        inversePropensities, cancellationToken: cancellationToken);
                    int at5 = metricsOptions.Cutoffs[^1];
                    curve.Add(new CurvePoint(name, step, report.PaperMap, report.WeightedPaperMap, report.MeanAveragePrecisionAtDepth,
                        report.Instances.PrecisionAt(1), report.Instances.PrecisionAt(at5), report.Instances.NdcgAt(at5)));
                },
            };
            var result = Trainer.Train(run, progress is null ? null : new SynchronousProgress<TrainingProgress>(p => progress.Report((shown, p))), cancellationToken);
            if (!result.Completed) throw new OperationCanceledException("the comparison was stopped");
            return new ComparedModel(name, embedding?.Dimension, curve, result, tuned ? setting.Label : null);
        }

        // Every setting of the grid trains into a folder of its own; the chosen one's becomes the model's folder, the
        // others' go (tuning.csv keeps their scores): a grid of twelve would otherwise keep twelve copies of each model.
        ComparedModel Tune(string name, HeadKind head, LabelEmbedding? embedding)
        {
            string folder = Path.Combine(setup.Output, name.Replace(' ', '-').Replace('=', '-'));
            if (!tuned) return TrainOne(name, folder, grid[0], head, embedding);
            var runs = grid.Select((setting, i) => TrainOne(name, $"{folder}.setting-{i + 1}", setting, head, embedding)).ToArray();
            int chosen = 0;
            for (int i = 1; i < runs.Length; i++)
                if (Validation(runs[i]) > Validation(runs[chosen])) chosen = i;
            for (int i = 0; i < runs.Length; i++)
            {
                tuning.Add(new TuningRow(name, grid[i].Label, runs[i].Final.Step, Validation(runs[i]), i == chosen));
                if (i != chosen) Directory.Delete($"{folder}.setting-{i + 1}", recursive: true);
            }
            Directory.Move($"{folder}.setting-{chosen + 1}", folder);
            return runs[chosen] with { Training = Moved(runs[chosen].Training, $"{folder}.setting-{chosen + 1}", folder) };
        }

        var baseline = Tune(HeadKind.Sigmoid.Name(), HeadKind.Sigmoid, null);
        var others = new List<ComparedModel>();
        foreach (var head in setup.Heads.Distinct())
        {
            if (head == HeadKind.Sigmoid) continue;
            foreach (var embedding in setup.Embeddings) others.Add(Tune($"{head.Name()} k={embedding.Dimension}", head, embedding));
        }
        return new ComparisonResult(baseline, others, tuning);
    }

    static double Validation(ComparedModel model) => model.Training.Validation?.Selection
        ?? throw new InvalidOperationException($"{model.Name} was not measured on the validation split");

    // The training result with its paths under the folder it was moved to.
    static TrainingResult Moved(TrainingResult result, string from, string to)
    {
        string? Move(string? path) => path is null ? null : path.StartsWith(from, StringComparison.Ordinal) ? to + path[from.Length..] : path;
        return result with { ModelFolder = Move(result.ModelFolder), CheckpointFolder = Move(result.CheckpointFolder), LogFile = Move(result.LogFile) };
    }
}
