using System.Globalization;
using System.Text;
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.IO;
using LabelSphere.Training;
using static TorchSharp.torch;

namespace LabelSphere.Evaluation;

/// <summary>How well one label is found (or the means over the labels held out).</summary>
/// <param name="AveragePrecision">Average precision over the whole ranking of test instances, as scikit-learn computes it.</param>
/// <param name="AveragePrecisionAtDepth">The usual AP@100: precisions at the relevant ranks over min(positives, 100).</param>
/// <param name="PaperAveragePrecision">The paper's AP@100: the precision at every rank 1..100, averaged.</param>
/// <param name="DecodingRecall">
/// Share of the label's test positives whose top <see cref="ZeroShotExperiment.DecodingDepth"/> labels, ranked over
/// every label as <c>predict</c> ranks them, include it: whether decoding shows the label, not only whether the
/// label ranks instances well.
/// </param>
/// <param name="DecodingPrecision">
/// Share of the test instances whose top <see cref="ZeroShotExperiment.DecodingDepth"/> labels include the label that
/// carry it (NaN when it is shown to none): a label shown to everyone has full recall and its prevalence as precision.
/// </param>
public sealed record LabelScores(double AveragePrecision, double AveragePrecisionAtDepth, double PaperAveragePrecision, double DecodingRecall, double DecodingPrecision)
{
    /// <summary>The mean of each score over <paramref name="scores"/>.</summary>
    public static LabelScores Mean(IEnumerable<LabelScores> scores)
    {
        var all = scores.ToArray();
        var shown = all.Where(s => !double.IsNaN(s.DecodingPrecision)).ToArray();
        return new LabelScores(all.Average(s => s.AveragePrecision), all.Average(s => s.AveragePrecisionAtDepth), all.Average(s => s.PaperAveragePrecision),
            all.Average(s => s.DecodingRecall), shown.Length == 0 ? double.NaN : shown.Average(s => s.DecodingPrecision));
    }
}

/// <summary>One label held out of training: how often it occurs, and how well each model ranks the test instances for it.</summary>
/// <param name="Name">The label.</param>
/// <param name="TrainingCount">Training instances carrying it (whose co-occurrences place it).</param>
/// <param name="TestPositives">Test instances carrying it.</param>
/// <param name="Chance">The expectation of each score under a random ranking (<see cref="ChanceLevel"/>).</param>
/// <param name="ZeroShot">The embedding model trained without the label, the label placed from its co-occurrences (the paper's fold-in).</param>
/// <param name="ZeroShotCompany">
/// The same model, the label placed instead at the sum of its company's rows, Σ_j c_j·E_j with c_j its co-occurrence
/// count with label j: the sum of the (unnormalised) targets of the instances that carry it, where the network's
/// predictions for them should point.
/// </param>
/// <param name="Embedding">The embedding model trained with the label.</param>
/// <param name="Sigmoid">The sigmoid baseline trained with the label.</param>
public sealed record ZeroShotLabel(string Name, long TrainingCount, long TestPositives, LabelScores Chance, LabelScores ZeroShot,
                                   LabelScores ZeroShotCompany, LabelScores Embedding, LabelScores Sigmoid);

/// <summary>The outcome of <see cref="ZeroShotExperiment.Run"/>: every held-out label and the means over them.</summary>
/// <param name="Labels">The labels held out, most frequent first.</param>
/// <param name="Dimension">k of both embeddings.</param>
/// <param name="ReducedEmbedding">The embedding fitted without the labels held out, then extended with them placed zero-shot.</param>
/// <param name="Trainings">What training reported for the zero-shot, embedding and sigmoid models, in that order.</param>
public sealed record ZeroShotResult(IReadOnlyList<ZeroShotLabel> Labels, int Dimension, LabelEmbedding ReducedEmbedding, IReadOnlyList<TrainingResult> Trainings)
{
    /// <summary>Means over the labels held out, for chance, the zero-shot model (both placements), and the two models trained with the labels.</summary>
    public (LabelScores Chance, LabelScores ZeroShot, LabelScores ZeroShotCompany, LabelScores Embedding, LabelScores Sigmoid) Means =>
        (LabelScores.Mean(Labels.Select(l => l.Chance)), LabelScores.Mean(Labels.Select(l => l.ZeroShot)), LabelScores.Mean(Labels.Select(l => l.ZeroShotCompany)),
         LabelScores.Mean(Labels.Select(l => l.Embedding)), LabelScores.Mean(Labels.Select(l => l.Sigmoid)));

    /// <summary>
    /// The results in Markdown: the means of each model (with how much of the way from chance to the embedding model
    /// trained with the labels the zero-shot model goes), then one row per label.
    /// </summary>
    public string Table()
    {
        var text = new StringBuilder();
        var (chance, zero, company, embedding, sigmoid) = Means;
        text.AppendLine($"| model | mean AP | mean AP@100 | mean MAP@100 (paper) | AP gain over chance, share of the embedding model's | mean recall@{ZeroShotExperiment.DecodingDepth} in decoding | mean precision@{ZeroShotExperiment.DecodingDepth} in decoding |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        string Share(LabelScores s) => embedding.AveragePrecision > chance.AveragePrecision
            ? $"{100 * (s.AveragePrecision - chance.AveragePrecision) / (embedding.AveragePrecision - chance.AveragePrecision):F0}%" : "n/a";
        void Row(string name, LabelScores s, string share) =>
            text.AppendLine($"| {name} | {s.AveragePrecision:F4} | {s.AveragePrecisionAtDepth:F4} | {s.PaperAveragePrecision:F4} | {share} | {s.DecodingRecall:F4} | {s.DecodingPrecision:F4} |");
        Row("chance (random ranking, exact expectation)", chance, "0%");
        Row($"zero-shot: embedding model trained without them, labels placed by fold-in (k={Dimension})", zero, Share(zero));
        Row("the same model, labels placed at their company's sum Σ c_j·E_j", company, Share(company));
        Row($"embedding model trained with them (k={Dimension})", embedding, "100%");
        Row("sigmoid baseline trained with them", sigmoid, Share(sigmoid));
        text.AppendLine();
        int depth = ZeroShotExperiment.DecodingDepth;
        text.AppendLine($"| label | training instances | test positives | AP chance | AP zero-shot | AP zero-shot, company | AP embedding | AP sigmoid | recall@{depth} zero-shot | recall@{depth} zero-shot, company | recall@{depth} embedding | recall@{depth} sigmoid |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var l in Labels)
            text.AppendLine($"| {l.Name} | {l.TrainingCount:N0} | {l.TestPositives:N0} | {l.Chance.AveragePrecision:F4} | {l.ZeroShot.AveragePrecision:F4} | {l.ZeroShotCompany.AveragePrecision:F4} | " +
                            $"{l.Embedding.AveragePrecision:F4} | {l.Sigmoid.AveragePrecision:F4} | {l.ZeroShot.DecodingRecall:F4} | {l.ZeroShotCompany.DecodingRecall:F4} | " +
                            $"{l.Embedding.DecodingRecall:F4} | {l.Sigmoid.DecodingRecall:F4} |");
        return text.ToString();
    }

    /// <summary>Writes one row per held-out label and model as CSV.</summary>
    public void WriteCsv(string path) => AtomicFolder.WriteFile(path, stream =>
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        writer.WriteLine("label,training_instances,test_positives,model,ap,ap100,map100_paper,decoding_recall,decoding_precision");
        foreach (var l in Labels)
            foreach (var (model, s) in new[] { ("chance", l.Chance), ("zero-shot", l.ZeroShot), ("zero-shot-company", l.ZeroShotCompany), ("embedding", l.Embedding), ("sigmoid", l.Sigmoid) })
                writer.WriteLine(string.Join(",", Csv(l.Name), l.TrainingCount.ToString(CultureInfo.InvariantCulture), l.TestPositives.ToString(CultureInfo.InvariantCulture),
                    model, F(s.AveragePrecision), F(s.AveragePrecisionAtDepth), F(s.PaperAveragePrecision), F(s.DecodingRecall), F(s.DecodingPrecision)));
    });

    static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
    static string Csv(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
}

/// <summary>
/// The paper's zero-shot claim (section 3.3.1) as an experiment: labels are held out of the training targets and of
/// the embedding, placed afterwards from their co-occurrences in the training annotations
/// (<see cref="LabelEmbedding.AddLabel"/>), and the test instances are ranked for them by cosine proximity to the
/// network's predictions; next to chance and next to models trained with the labels.
/// </summary>
public static class ZeroShotExperiment
{
    /// <summary>How many labels decoding shows per instance when <see cref="LabelScores.DecodingRecall"/> is measured.</summary>
    public const int DecodingDepth = 10;

    /// <summary>What to run the experiment on.</summary>
    /// <param name="Train">Training instances over the vocabulary of <paramref name="Embedding"/>.</param>
    /// <param name="Test">Test instances over the same vocabulary.</param>
    /// <param name="Embedding">The embedding of every label; the reduced embedding is refitted with its options.</param>
    /// <param name="HeldOut">Ids of the labels to hold out.</param>
    /// <param name="Options">Training options shared by the three models; their head (one that uses the embedding) is the zero-shot and embedding models', the baseline's is the sigmoid head.</param>
    /// <param name="Output">Folder that receives one training run per model.</param>
    public sealed record Setup(IInstanceSource Train, IInstanceSource Test, LabelEmbedding Embedding, IReadOnlyList<int> HeldOut,
                               TrainingOptions Options, string Output);

    /// <summary>
    /// <paramref name="count"/> labels to hold out, spread evenly over the frequency ranks of the labels that occur
    /// at least <paramref name="minimumCount"/> times in training and at least once in the test set: frequent and rare
    /// labels alike, deterministically.
    /// </summary>
    public static int[] ChooseLabels(LabelMatrix train, LabelMatrix test, int count, int minimumCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minimumCount);
        var trainCounts = train.LabelCounts();
        var testCounts = test.WithColumns(Math.Max(test.Columns, train.Columns)).LabelCounts();
        var candidates = Enumerable.Range(0, train.Columns)
            .Where(l => trainCounts[l] >= minimumCount && testCounts[l] > 0)
            .OrderByDescending(l => trainCounts[l]).ThenBy(l => l).ToArray();
        if (candidates.Length < count)
            throw new ArgumentException($"only {candidates.Length} labels occur at least {minimumCount} times in training and at least once in the test data; " +
                                        $"cannot hold out {count} (lower the count or the minimum)");
        if (count >= train.Columns) throw new ArgumentException($"holding out {count} of {train.Columns} labels leaves none to train on");
        var chosen = new int[count];
        for (int i = 0; i < count; i++)
            chosen[i] = candidates[count == 1 ? candidates.Length / 2 : (int)Math.Round((double)i * (candidates.Length - 1) / (count - 1))];
        return chosen;
    }

    /// <summary>
    /// Fits the reduced embedding, places the held-out labels, trains the zero-shot model, the embedding model and the
    /// sigmoid baseline (the last two with every label), and measures each held-out label on the test set.
    /// </summary>
    /// <param name="progress">Receives (model name, training progress).</param>
    public static ZeroShotResult Run(Setup setup, IProgress<(string Model, TrainingProgress Progress)>? progress = null, CancellationToken cancellationToken = default)
    {
        var full = setup.Embedding;
        int n = full.Labels;
        if (setup.Train.Vocabulary.Count != n || setup.Test.Vocabulary.Count != n)
            throw new ArgumentException("the training and test sources must be over the embedding's labels");
        var heldOut = setup.HeldOut.Distinct().Order().ToArray();
        if (heldOut.Length == 0) throw new ArgumentException("hold out at least one label");
        if (heldOut.Length >= n) throw new ArgumentException($"holding out {heldOut.Length} of {n} labels leaves none to train on");
        foreach (var h in heldOut)
            if ((uint)h >= (uint)n) throw new ArgumentOutOfRangeException(nameof(setup), h, $"label ids must be below {n}");
        if (!setup.Options.Head.UsesEmbedding())
            throw new ArgumentException($"the {setup.Options.Head.Name()} head cannot rank labels added after training; zero-shot placement needs a head that uses the label embedding (embedding, cosine-logit or joint)");

        // The world without the held-out labels: its vocabulary, the training targets and the embedding refitted on them.
        var isHeld = new bool[n];
        foreach (var h in heldOut) isHeld[h] = true;
        var kept = Enumerable.Range(0, n).Where(l => !isHeld[l]).ToArray();
        var reducedVocabulary = new LabelVocabulary(kept.Select(l => full.Vocabulary[l]));
        var reducedLabels = setup.Train.Labels.SelectColumns(kept);
        var reduced = LabelEmbedding.Fit(CooccurrenceCounts.Count(reducedVocabulary, reducedLabels),
            full.Options with { Dimension = Math.Min(full.Dimension, kept.Length) });

        // Placement: each held-out label from the training instances that carry it, against the known labels only.
        var trainCounts = setup.Train.Labels.LabelCounts();
        var testTruth = setup.Test.Labels.SelectColumns(heldOut);
        var testPositives = testTruth.LabelCounts();
        var placements = new List<NewLabel>();
        for (int i = 0; i < heldOut.Length; i++)
        {
            var name = full.Vocabulary[heldOut[i]];
            if (testPositives[i] == 0) throw new ArgumentException($"label '{name}' has no positive in the test data, so its average precision is undefined");
            var carries = new bool[setup.Train.Count];
            for (int r = 0; r < carries.Length; r++) carries[r] = setup.Train.Labels.Row(r).BinarySearch(heldOut[i]) >= 0;
            var (count, co) = reduced.CountWith(reducedLabels, carries);
            if (count == 0) throw new ArgumentException($"label '{name}' occurs in no training instance, so it cannot be placed");
            placements.Add(new NewLabel(name, count, co));
        }
        // Every held-out label is placed against the known labels only; what is scored is what is saved.
        var extended = reduced.AddLabels(placements);
        var placedUnits = extended.UnitVectors[(reduced.Labels * reduced.Dimension)..].ToArray();
        var companyUnits = new float[placedUnits.Length];
        for (int i = 0; i < placements.Count; i++)
        {
            var row = companyUnits.AsSpan(i * reduced.Dimension, reduced.Dimension);
            var co = placements[i].Cooccurrences;
            for (int j = 0; j < co.Length; j++)
                if (co[j] != 0) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(reduced.Vector(j), (float)co[j], row, row);
            float norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
            if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
        }

        var device = Devices.Resolve(setup.Options.Device);
        var reducedTrain = setup.Train.WithLabels(reducedLabels, reducedVocabulary);
        using var placed = tensor(placedUnits, [heldOut.Length, reduced.Dimension]);
        using var company = tensor(companyUnits, [heldOut.Length, reduced.Dimension]);
        using var columns = tensor(heldOut.Select(h => (long)h).ToArray());
        var trainings = new List<TrainingResult>();

        // Each model scores every label it decodes ([batch, labels]); the held-out labels are the columns `held` of that.
        // A model may be scored several ways (the zero-shot model, once per placement).
        // Each run in its own folder; the model trained with every label's is not "embedding/", which holds the extended embedding.
        (float[] Scores, int[] Ranks)[] TrainAndScore(string name, string folder, IInstanceSource train, HeadKind head, LabelEmbedding? embedding,
                                                      params (Func<LabelModel, Tensor, Tensor> Scores, Tensor Held)[] scorers)
        {
            (float[], int[])[]? result = null;
            int total = setup.Options.TotalSteps(train.Count);
            var run = new TrainingRun
            {
                Train = train,
                Options = setup.Options with { Head = head, EvalEvery = total },
                Embedding = embedding,
                Output = Path.Combine(setup.Output, folder),
                OnEvaluate = (step, model) =>
                {
                    if (step == total) result = scorers.Select(s => Score(model, setup.Test, device, s.Held, s.Scores, cancellationToken)).ToArray();
                },
            };
            var training = Trainer.Train(run, progress is null ? null : new SynchronousProgress<TrainingProgress>(p => progress.Report((name, p))), cancellationToken);
            if (!training.Completed || result is null) throw new OperationCanceledException("the zero-shot experiment was stopped");
            trainings.Add(training);
            return result;
        }

        // The zero-shot model decodes as predict does with the extended embedding: the known labels, then the placed ones.
        using var placedColumns = arange(reduced.Labels, reduced.Labels + heldOut.Length, dtype: ScalarType.Int64);
        Func<LabelModel, Tensor, Tensor> Extended(Tensor rows) =>
            (model, output) => cat([model.Head.Scores(output), ((IEmbeddingHead)model.Head).AddedScores(output, rows.to(output.device))], 1);
        var head = setup.Options.Head;
        var zeroShot = TrainAndScore("zero-shot", "zero-shot", reducedTrain, head, reduced, (Extended(placed), placedColumns), (Extended(company), placedColumns));
        var withEmbedding = TrainAndScore("embedding", "embedding-model", setup.Train, head, full, ((model, output) => model.Head.Scores(output), columns));
        var withSigmoid = TrainAndScore("sigmoid", "sigmoid", setup.Train, HeadKind.Sigmoid, null, ((model, output) => model.Head.Scores(output), columns));

        var measured = new[] { zeroShot[0], zeroShot[1], withEmbedding[0], withSigmoid[0] }.Select(s => Measure(s.Scores, s.Ranks, testTruth, heldOut.Length)).ToArray();
        var labels = new List<ZeroShotLabel>();
        for (int i = 0; i < heldOut.Length; i++)
        {
            long positives = testPositives[i], instances = setup.Test.Count;
            var chance = new LabelScores(ChanceLevel.AveragePrecision(positives, instances), ChanceLevel.AveragePrecisionAtDepth(positives, instances),
                ChanceLevel.PaperAveragePrecision(positives, instances), Math.Min(1.0, (double)DecodingDepth / n), (double)positives / instances);
            labels.Add(new ZeroShotLabel(full.Vocabulary[heldOut[i]], trainCounts[heldOut[i]], positives, chance, measured[0][i], measured[1][i], measured[2][i], measured[3][i]));
        }
        return new ZeroShotResult([.. labels.OrderByDescending(l => l.TrainingCount)], reduced.Dimension, extended, trainings);
    }

    /// <summary>
    /// [instances, held-out labels] scores of a trained model on the test set, and the rank (1 = first) of each
    /// held-out label among every label the model decodes; ties rank the held-out label first.
    /// </summary>
    /// <param name="held">[held-out labels] their columns in what <paramref name="scores"/> returns.</param>
    static (float[] Scores, int[] Ranks) Score(LabelModel model, IInstanceSource test, Device device, Tensor held, Func<LabelModel, Tensor, Tensor> scores, CancellationToken cancellationToken)
    {
        int columns = (int)held.shape[0];
        var result = new float[checked(test.Count * columns)];
        var ranks = new int[result.Length];
        Inference.ForEachBatch(model, test, device, Trainer.EvaluationBatchSize, (batch, outputs) =>
        {
            var all = scores(model, outputs);
            var mine = all.index_select(1, held.to(all.device));
            // Per held-out label, how many labels score strictly higher: one [batch, labels] comparison alive at a time.
            var higher = new Tensor[columns];
            for (int c = 0; c < columns; c++)
            {
                using var comparison = NewDisposeScope();
                higher[c] = all.gt(mine[.., c..(c + 1)]).sum(1).MoveToOuterDisposeScope();
            }
            var above = stack(higher, 1).to(ScalarType.Int32) + 1;
            var block = mine.cpu().contiguous().data<float>().ToArray();
            var rankBlock = above.cpu().contiguous().data<int>().ToArray();
            for (int b = 0; b < batch.Indices.Length; b++)
            {
                block.AsSpan(b * columns, columns).CopyTo(result.AsSpan(batch.Indices[b] * columns, columns));
                rankBlock.AsSpan(b * columns, columns).CopyTo(ranks.AsSpan(batch.Indices[b] * columns, columns));
            }
        }, cancellationToken);
        return (result, ranks);
    }

    /// <summary>Each held-out label's scores from the [instances, held-out labels] scores and decoding ranks.</summary>
    static LabelScores[] Measure(float[] scores, int[] ranks, LabelMatrix truth, int columns)
    {
        var report = MetricsReport.Compute(scores, truth, columns, new MetricsOptions { Cutoffs = [1] });
        var found = new long[columns];
        var shown = new long[columns];
        for (int r = 0; r < truth.Rows; r++)
        {
            foreach (var c in truth.Row(r))
                if (ranks[r * columns + c] <= DecodingDepth) found[c]++;
            for (int c = 0; c < columns; c++)
                if (ranks[r * columns + c] <= DecodingDepth) shown[c]++;
        }
        var positives = truth.LabelCounts();
        return Enumerable.Range(0, columns).Select(c => new LabelScores(report.Exact!.PerClass[c], report.Classes.AveragePrecisionAtDepth[c],
            report.Classes.PaperAveragePrecision[c], positives[c] == 0 ? double.NaN : (double)found[c] / positives[c],
            shown[c] == 0 ? double.NaN : (double)found[c] / shown[c])).ToArray();
    }
}
