using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Evaluation;

namespace LabelSphere.Training;

/// <summary>
/// The data of a training run, prepared once for every trainer (<see cref="LabelClassifier.Fit"/> and the command
/// line's verbs): read data -> labels mapped onto the model's vocabulary -> features scaled (or images decoded) -> a
/// validation share split off when there is no held-out data.
/// </summary>
/// <param name="Data">The training data.</param>
/// <param name="Test">Held-out data measured instead of a validation share, or null.</param>
/// <param name="Embedding">The label embedding whose labels are the vocabulary, or null.</param>
/// <param name="Vocabulary">The model's labels: the embedding's, else the training data's.</param>
/// <param name="Train">Training instances over <paramref name="Vocabulary"/>.</param>
/// <param name="Validation">The validation share or the held-out data over <paramref name="Vocabulary"/>, or null.</param>
/// <param name="TrainMapping">What mapping the training labels onto the vocabulary lost.</param>
/// <param name="TestMapping">What mapping the held-out labels onto it lost.</param>
/// <param name="VocabularySource">Where the vocabulary came from, for messages.</param>
/// <param name="MostFrequent">The five (at most) most frequent training labels: the constant baseline.</param>
/// <param name="Labelled">Training instances that carry at least one label of the vocabulary.</param>
internal sealed record TrainingSet(
    LabelData Data, LabelData? Test, LabelEmbedding? Embedding, LabelVocabulary Vocabulary, IInstanceSource Train, IInstanceSource? Validation,
    LabelMappingReport TrainMapping, LabelMappingReport? TestMapping, string VocabularySource, int[] MostFrequent, int Labelled)
{
    /// <summary>The share of training instances that carry a label of the vocabulary.</summary>
    public double LabelledShare => Train.Count == 0 ? 0 : (double)Labelled / Train.Count;

    /// <summary>
    /// Prepares <paramref name="data"/> for <paramref name="options"/>: labels mapped onto <paramref name="embedding"/>'s
    /// (the data's own without one), features scaled by <see cref="TrainingOptions.Scaling"/> fitted on the training
    /// rows, and <paramref name="validationFraction"/> of the instances held out (seeded by the options' seed) unless
    /// <paramref name="test"/> is given. Refuses data of which too few instances carry a label of the vocabulary.
    /// </summary>
    /// <param name="embeddingSource">How messages name the embedding (its folder), or null.</param>
    public static TrainingSet Prepare(LabelData data, LabelData? test, LabelEmbedding? embedding, double validationFraction, TrainingOptions options,
                                      string? embeddingSource = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Head.UsesEmbedding() && embedding is null)
            throw new ArgumentException($"the {options.Head.Name()} head ranks labels by a label embedding, and none was given (fit one with LabelEmbedding.Fit)", "Embedding");
        var vocabulary = embedding?.Vocabulary ?? data.Annotations.Vocabulary;
        var source = embedding is null ? $"the labels of {data.Source}" : embeddingSource ?? "the embedding";
        int[] trainRows, validationRows;
        try
        {
            (trainRows, validationRows) = data.SplitRows(test is null ? validationFraction : 0, options.Seed);
        }
        catch (ArgumentException e)
        {
            // Named after the setting that asks for the split, not the helper's parameter.
            throw new ArgumentException(e is ArgumentOutOfRangeException ? $"the validation fraction must be in [0, 1), got {validationFraction}" : e.Message.Split(" (Parameter")[0],
                "ValidationFraction");
        }
        var (train, validation, mapping) = data.Split(vocabulary, trainRows, validationRows, options);
        LabelMappingReport? testMapping = null;
        if (test is not null) (validation, testMapping) = test.Like(train, vocabulary);
        int labelled = train.Labels.Rows - train.Labels.EmptyRows();
        if (labelled == 0)
            throw new ArgumentException($"{data.Source}: none of its {train.Count:N0} training instances carries one of the {vocabulary.Count:N0} labels of {source}" +
                (embedding is not null ? "; was the embedding made from this data set?" : ""));
        if (!options.EnoughLabelled(labelled, train.Count))
            throw new ArgumentException($"{data.Source}: only {labelled:N0} of its {train.Count:N0} training instances ({100.0 * labelled / train.Count:F1}%) carry a label of {source}; the minimum share asked for is {options.MinLabelledShare * 100:G3}%",
                nameof(TrainingOptions.MinLabelledShare));
        return new TrainingSet(data, test, embedding, vocabulary, train, validation, mapping, testMapping, source,
            RankingMetrics.MostFrequent(train.Labels, 5), labelled);
    }
}
