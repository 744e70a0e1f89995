using LabelSphere.Training;
using static TorchSharp.torch;

namespace LabelSphere.Evaluation;

/// <summary>Scores every instance of a source with a model and streams the scores into the ranking metrics.</summary>
public static class ModelEvaluation
{
    /// <summary>
    /// The metrics of <paramref name="model"/> on <paramref name="source"/>: scores are cosine proximities for an
    /// embedding head and probabilities for a sigmoid head, one [batch, labels] block at a time, so the whole
    /// instances × labels matrix is never held.
    /// </summary>
    /// <param name="classWeights">[labels] weights of the class-weighted MAP@100, or empty for none.</param>
    /// <param name="inversePropensities">[labels] 1/p_l for propensity-scored precision, or empty for none.</param>
    public static MetricsReport Evaluate(LabelModel model, IInstanceSource source, Device device, MetricsOptions? options = null,
                                         ReadOnlySpan<double> classWeights = default, ReadOnlySpan<double> inversePropensities = default,
                                         int batchSize = 512, CancellationToken cancellationToken = default)
    {
        int labels = source.Vocabulary.Count;
        var metrics = new MetricsAccumulator(labels, options, inversePropensities, classWeights);
        bool training = model.training;
        model.eval();
        try
        {
            using var guard = no_grad();
            var order = Enumerable.Range(0, source.Count).ToArray();
            foreach (var batch in source.Batches(order, batchSize, augment: false, seed: 0, cancellationToken))
            {
                float[] scores;
                using (NewDisposeScope())
                {
                    var x = tensor(batch.Inputs, batch.Shape).to(device);
                    scores = model.Head.Scores(model.forward(x)).cpu().contiguous().data<float>().ToArray();
                }
                metrics.Add(scores, source.Labels.SelectRows(batch.Indices));
            }
            return metrics.Report();
        }
        finally
        {
            model.train(training);
        }
    }
}
