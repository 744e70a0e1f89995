using LabelSphere.Data;

namespace LabelSphere.Evaluation;

/// <summary>
/// Streams score batches into both the class-wise (<see cref="ClassRankingAccumulator"/>) and the instance-wise
/// (<see cref="InstanceRankingAccumulator"/>) metrics, so that a test set of any size is evaluated in one pass with
/// memory bounded by classes × depth.
/// </summary>
internal sealed class MetricsAccumulator
{
    readonly ClassRankingAccumulator classWise;
    readonly InstanceRankingAccumulator instanceWise;
    readonly double[]? classWeights;

    /// <summary>An empty accumulator for <paramref name="classes"/> classes.</summary>
    /// <param name="inversePropensities">1/p_l per class for PSP@k (<see cref="Propensity"/>); empty to skip it.</param>
    /// <param name="classWeights">One weight per class for the weighted MAP@K (<see cref="ClassWeights"/>); empty to skip it.</param>
    public MetricsAccumulator(int classes, MetricsOptions? options = null, ReadOnlySpan<double> inversePropensities = default, ReadOnlySpan<double> classWeights = default)
    {
        options ??= new MetricsOptions();
        options.Validate(classes);
        ClassRankingAccumulator.CheckWeights(classWeights, classes);
        Options = options;
        classWise = new ClassRankingAccumulator(classes, options.Depth);
        instanceWise = new InstanceRankingAccumulator(classes, options, inversePropensities);
        this.classWeights = classWeights.IsEmpty ? null : classWeights.ToArray();
    }

    /// <summary>The options in use.</summary>
    public MetricsOptions Options { get; }

    /// <summary>Instances added so far.</summary>
    public int Instances => classWise.Instances;

    /// <summary>Adds a batch of instances.</summary>
    /// <param name="scores">[batch, classes] row-major; NaN is refused.</param>
    /// <param name="truth">The batch's true label sets.</param>
    public void Add(ReadOnlyMemory<float> scores, LabelMatrix truth)
    {
        // Checked once, before either accumulator changes.
        int batch = ClassRankingAccumulator.CheckBatch(scores.Span, truth, classWise.Classes);
        classWise.AddChecked(scores, batch, truth);
        instanceWise.AddChecked(scores, batch, truth);
    }

    /// <summary>The metrics over every instance added; scikit-learn's AP is left out, as it needs the full score matrix.</summary>
    public MetricsReport Report() => new(classWise.Compute(classWeights), instanceWise.Compute(), null);
}
