using LabelSphere.Training;
using static TorchSharp.torch;

namespace LabelSphere.Evaluation;

/// <summary>Scores every instance of a source with a model and streams the scores into the ranking metrics.</summary>
internal static class ModelEvaluation
{
    /// <summary>
    /// The metrics of <paramref name="model"/> on <paramref name="source"/>: scores are cosine proximities for an
    /// embedding head and probabilities for a sigmoid head, one [batch, labels] block at a time, so the whole
    /// instances × labels matrix is never held unless <paramref name="exactAveragePrecision"/> asks for it.
    /// </summary>
    /// <param name="classWeights">[labels] weights of the class-weighted MAP@100, or empty for none.</param>
    /// <param name="inversePropensities">[labels] 1/p_l for propensity-scored precision, or empty for none.</param>
    /// <param name="progress">Receives the number of instances scored so far after every batch.</param>
    /// <param name="exactAveragePrecision">
    /// Also compute scikit-learn's AP (<see cref="MetricsReport.Exact"/>), which keeps the full [instances, labels]
    /// score matrix in memory (4 bytes per score).
    /// </param>
    public static MetricsReport Evaluate(LabelModel model, IInstanceSource source, Device device, MetricsOptions? options = null,
                                         ReadOnlySpan<double> classWeights = default, ReadOnlySpan<double> inversePropensities = default,
                                         int batchSize = 512, CancellationToken cancellationToken = default,
                                         IProgress<int>? progress = null, bool exactAveragePrecision = false)
    {
        int labels = source.Vocabulary.Count;
        var metrics = new MetricsAccumulator(labels, options, inversePropensities, classWeights);
        // Row r of all holds instance rows[r], in the order batches came; a source may leave instances out (skipped images).
        float[]? all = exactAveragePrecision ? new float[(long)source.Count * labels] : null;
        var rows = new List<int>();
        Inference.ForEachBatch(model, source, device, batchSize, (batch, outputs) =>
        {
            var scores = model.Head.Scores(outputs).cpu().contiguous().data<float>().ToArray();
            // NaN sorts anywhere: metrics over it would be numbers that mean nothing.
            for (int i = 0; i < scores.Length; i++)
                if (!float.IsFinite(scores[i]))
                    throw new InvalidDataException($"the model scores instance {batch.Indices[i / labels]} {scores[i]} for label {i % labels}, which cannot be ranked; its weights or that instance's inputs are out of range");
            metrics.Add(scores, source.Labels.SelectRows(batch.Indices));
            if (all is not null)
            {
                scores.CopyTo(all.AsSpan(rows.Count * labels));
                rows.AddRange(batch.Indices);
            }
            progress?.Report(metrics.Instances);
        }, cancellationToken);
        var report = metrics.Report();
        if (all is null) return report;
        var exact = ExactAveragePrecision.Compute(all.AsMemory(0, rows.Count * labels), source.Labels.SelectRows(rows.ToArray()), labels);
        return report with { Exact = exact };
    }
}
