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
public sealed record CurvePoint(string Model, int Step, double PaperMap, double? WeightedPaperMap, double Ap100, double PrecisionAt1, double PrecisionAt5, double NdcgAt5);

/// <summary>One model trained in a comparison: its name, its curve and what training reported.</summary>
public sealed record ComparedModel(string Name, int? Dimension, IReadOnlyList<CurvePoint> Curve, TrainingResult Training);

/// <summary>
/// The paper's experiment on any data set (sections 4.3–4.4, figure 1): the heads that use the label embedding and the
/// sigmoid baseline trained with identical settings, all measured on the test set every n steps.
/// </summary>
/// <param name="Baseline">The sigmoid model.</param>
/// <param name="Embeddings">The other models: one per head and embedding dimension k.</param>
public sealed record ComparisonResult(ComparedModel Baseline, IReadOnlyList<ComparedModel> Embeddings)
{
    /// <summary>All models, baseline first.</summary>
    public IEnumerable<ComparedModel> Models => Embeddings.Prepend(Baseline);

    /// <summary>The first step at which <paramref name="model"/> reaches the baseline's final weighted (or unweighted) MAP@100, or null.</summary>
    public int? StepReachingBaseline(ComparedModel model)
    {
        var target = Score(Baseline.Curve[^1]);
        foreach (var point in model.Curve) if (Score(point) >= target) return point.Step;
        return null;
    }

    /// <summary>The MAP@100 the comparison ranks by: class-weighted when weights were given, unweighted otherwise.</summary>
    public static double Score(CurvePoint point) => point.WeightedPaperMap ?? point.PaperMap;

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
    /// The results table in Markdown: final metrics of every model, the embedding models' relative difference to
    /// the baseline, and the step at which each first reaches the baseline's final MAP@100 with the ratio of steps.
    /// </summary>
    public string Table()
    {
        var text = new StringBuilder();
        bool weighted = Baseline.Curve[^1].WeightedPaperMap is not null;
        text.AppendLine($"| model | parameters (head) | MAP@100 (paper){(weighted ? " | class-weighted MAP@100" : "")} | AP@100 | P@1 | P@5 | nDCG@5 | vs baseline | first reaches baseline's final MAP@100 | steps ratio |");
        text.AppendLine($"|---|---|---{(weighted ? "|---" : "")}|---|---|---|---|---|---|---|");
        var baseScore = Score(Baseline.Curve[^1]);
        int baseSteps = Baseline.Curve[^1].Step;
        foreach (var model in Models)
        {
            var last = model.Curve[^1];
            var reach = StepReachingBaseline(model);
            string relative = model == Baseline ? "—" : baseScore > 0 ? $"{(Score(last) - baseScore) / baseScore:+0.0%;-0.0%}" : "n/a";
            string ratio = model == Baseline ? "—" : reach is { } r ? $"{(double)baseSteps / r:F1}× fewer" : "not reached";
            text.AppendLine($"| {model.Name} | {model.Training.Parameters.Head:N0} | {last.PaperMap:F4}{(weighted ? $" | {last.WeightedPaperMap:F4}" : "")} | {last.Ap100:F4} | " +
                            $"{last.PrecisionAt1:F4} | {last.PrecisionAt5:F4} | {last.NdcgAt5:F4} | {relative} | {(model == Baseline ? $"{baseSteps} (its last step)" : reach?.ToString(CultureInfo.InvariantCulture) ?? "—")} | {ratio} |");
        }
        return text.ToString();
    }

    static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
}

/// <summary>
/// Runs the comparison: the sigmoid baseline, then every other head (one model per embedding dimension), each measured
/// every n steps. Every model trains on the same batches in the same order (the permutations depend on the seed only)
/// from the same body initialisation, for the same number of steps.
/// </summary>
public static class ComparisonRunner
{
    /// <summary>What to compare on what.</summary>
    /// <param name="Train">Training instances over the embedding's vocabulary.</param>
    /// <param name="Test">Test instances over the same vocabulary.</param>
    /// <param name="Embeddings">One embedding per dimension to try.</param>
    /// <param name="Options">Training options shared by every model; the head is set per model.</param>
    /// <param name="Output">Folder that receives one training run per model.</param>
    /// <param name="ClassWeights">[labels] weights of the class-weighted MAP@100, or null.</param>
    /// <param name="Features">Feature scaling applied by the sources, saved with each model.</param>
    public sealed record Setup(IInstanceSource Train, IInstanceSource Test, IReadOnlyList<LabelEmbedding> Embeddings, TrainingOptions Options,
                               string Output, double[]? ClassWeights, FeatureTransform? Features)
    {
        /// <summary>The heads compared with the sigmoid baseline, which is always trained (listing it again changes nothing).</summary>
        public IReadOnlyList<HeadKind> Heads { get; init; } = [HeadKind.Embedding];

        /// <summary>
        /// Instances carved from the training data, or null: every model is measured on them at each evaluation, and
        /// they alone choose the joint head's fitted mix and the weights <see cref="KeepKind.Best"/> keeps. The test set
        /// only ever gives the curves and the table.
        /// </summary>
        public IInstanceSource? Validation { get; init; }
    }

    /// <summary>Trains and measures every model; <paramref name="progress"/> receives (model name, training progress).</summary>
    public static ComparisonResult Run(Setup setup, IProgress<(string Model, TrainingProgress Progress)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (setup.Options.EvalEvery <= 0) throw new ArgumentException("a comparison needs --eval-every of at least 1 step");
        if (setup.Embeddings.Count == 0 && setup.Heads.Any(h => h.UsesEmbedding())) throw new ArgumentException("the structured heads need a label embedding");
        var inversePropensities = Propensity.Inverse(setup.Train.Labels);
        int cutoffs = Math.Min(5, setup.Train.Vocabulary.Count);
        var metricsOptions = new MetricsOptions { Cutoffs = cutoffs >= 5 ? [1, 3, 5] : [1] };
        var device = Devices.Resolve(setup.Options.Device);

        ComparedModel TrainOne(string name, HeadKind head, LabelEmbedding? embedding)
        {
            var curve = new List<CurvePoint>();
            var run = new TrainingRun
            {
                Train = setup.Train,
                Validation = setup.Validation,
                Options = setup.Options with { Head = head },
                Embedding = embedding,
                Features = setup.Features,
                Output = Path.Combine(setup.Output, name.Replace(' ', '-').Replace('=', '-')),
                OnEvaluate = (step, model) =>
                {
                    var report = ModelEvaluation.Evaluate(model, setup.Test, device, metricsOptions, setup.ClassWeights ?? default,
                        inversePropensities, cancellationToken: cancellationToken);
                    int at5 = metricsOptions.Cutoffs[^1];
                    curve.Add(new CurvePoint(name, step, report.PaperMap, report.WeightedPaperMap, report.MeanAveragePrecisionAtDepth,
                        report.Instances.PrecisionAt(1), report.Instances.PrecisionAt(at5), report.Instances.NdcgAt(at5)));
                },
            };
            var result = Trainer.Train(run, progress is null ? null : new SynchronousProgress<TrainingProgress>(p => progress.Report((name, p))), cancellationToken);
            if (!result.Completed) throw new OperationCanceledException("the comparison was stopped");
            return new ComparedModel(name, embedding?.Dimension, curve, result);
        }

        var baseline = TrainOne(HeadKind.Sigmoid.Name(), HeadKind.Sigmoid, null);
        var others = new List<ComparedModel>();
        foreach (var head in setup.Heads.Distinct())
        {
            if (head == HeadKind.Sigmoid) continue;
            foreach (var embedding in setup.Embeddings) others.Add(TrainOne($"{head.Name()} k={embedding.Dimension}", head, embedding));
        }
        return new ComparisonResult(baseline, others);
    }
}
