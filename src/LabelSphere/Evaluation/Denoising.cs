using System.Globalization;
using System.Text;
using LabelSphere.IO;

namespace LabelSphere.Evaluation;

/// <summary>Which noise a denoising condition applies to the training labels.</summary>
internal enum NoiseKind
{
    /// <summary>The labels as read.</summary>
    Clean,
    /// <summary>A share of the true labels removed (<see cref="LabelNoise.Drop"/>).</summary>
    Drop,
    /// <summary>Wrong labels added (<see cref="LabelNoise.Add"/>).</summary>
    Add,
}

/// <summary>One condition of the denoising experiment: both heads trained on labels with one kind of noise.</summary>
/// <param name="Kind">The noise.</param>
/// <param name="Fraction">Drop probability or wrong labels per true label; 0 for the clean condition.</param>
/// <param name="Removed">True (instance, label) pairs the noise removed from the training labels.</param>
/// <param name="Added">Wrong pairs the noise added.</param>
/// <param name="TrainingLabels">(instance, label) pairs the models trained on.</param>
/// <param name="Result">The sigmoid baseline and the embedding model trained on them, measured on the clean test set.</param>
internal sealed record NoiseCondition(NoiseKind Kind, double Fraction, long Removed, long Added, long TrainingLabels, ComparisonResult Result)
{
    /// <summary>"clean", "drop 30%" or "add 30%".</summary>
    public string Name => NameOf(Kind, Fraction);

    /// <summary>The name of the condition with noise <paramref name="kind"/> at <paramref name="fraction"/>.</summary>
    public static string NameOf(NoiseKind kind, double fraction) => kind switch
    {
        NoiseKind.Clean => "clean",
        NoiseKind.Drop => $"drop {Percent(fraction)}",
        NoiseKind.Add => $"add {Percent(fraction)}",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown noise"),
    };

    /// <summary>The sigmoid baseline's final point (of the weights it kept).</summary>
    public CurvePoint Sigmoid => Result.Baseline.Final;

    /// <summary>The structured head's final point (of the weights it kept).</summary>
    public CurvePoint Embedding => Result.Embeddings[0].Final;

    static string Percent(double fraction) => fraction.ToString("0.#%", CultureInfo.InvariantCulture);
}

/// <summary>
/// The denoising experiment (issue 4): how much each head's MAP@100 on clean test labels falls when its training
/// labels lose true tags or gain wrong ones, relative to the same head trained on clean labels.
/// </summary>
/// <param name="Conditions">The clean condition first, then the noisy ones.</param>
internal sealed record DenoisingResult(IReadOnlyList<NoiseCondition> Conditions)
{
    /// <summary>The condition every head is compared with.</summary>
    public NoiseCondition Clean => Conditions[0];

    /// <summary>Whether MAP@100 is class-weighted (<see cref="ComparisonResult.Score"/>).</summary>
    public bool Weighted => Clean.Sigmoid.WeightedPaperMap is not null;

    /// <summary>(score − clean score) / clean score of one head's MAP@100, or null when the clean score is 0.</summary>
    public static double? Relative(CurvePoint point, CurvePoint clean)
    {
        double baseline = ComparisonResult.Score(clean);
        return baseline > 0 ? (ComparisonResult.Score(point) - baseline) / baseline : null;
    }

    /// <summary>
    /// The table in Markdown: one row per condition, each head's MAP@100 and its change against its own clean run,
    /// each head's P@1, and the training labels the noise removed or added.
    /// </summary>
    public string Table()
    {
        string map = Weighted ? "class-weighted MAP@100" : "MAP@100";
        var text = new StringBuilder();
        text.AppendLine($"| training labels | removed | added | labels trained on | sigmoid {map} | sigmoid vs clean | embedding {map} | embedding vs clean | sigmoid P@1 | embedding P@1 |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var c in Conditions)
        {
            string Change(CurvePoint point, CurvePoint clean) =>
                c == Clean ? "—" : Relative(point, clean) is { } r ? r.ToString("+0.0%;-0.0%;0.0%", CultureInfo.InvariantCulture) : "n/a";
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {c.Name} | {c.Removed:N0} | {c.Added:N0} | {c.TrainingLabels:N0} | {ComparisonResult.Score(c.Sigmoid):F4} | {Change(c.Sigmoid, Clean.Sigmoid)} | " +
                $"{ComparisonResult.Score(c.Embedding):F4} | {Change(c.Embedding, Clean.Embedding)} | {c.Sigmoid.PrecisionAt1:F4} | {c.Embedding.PrecisionAt1:F4} |"));
        }
        return text.ToString();
    }

    /// <summary>Writes one CSV row per condition: the noise, and both heads' final metrics and change against clean.</summary>
    public void WriteCsv(string path) => AtomicFolder.WriteFile(path, stream =>
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        var heads = new[] { "sigmoid", "embedding" };
        writer.WriteLine("condition,noise,fraction,labels_removed,labels_added,training_labels," + string.Join(",", heads.Select(h =>
            $"{h}_map100_paper,{h}_map100_paper_weighted,{h}_relative_to_clean,{h}_ap100,{h}_precision_at_1,{h}_precision_at_5,{h}_ndcg_at_5")));
        foreach (var c in Conditions)
        {
            var cells = new List<string>
            {
                c.Name, c.Kind.ToString().ToLowerInvariant(), F(c.Fraction), I(c.Removed), I(c.Added), I(c.TrainingLabels),
            };
            foreach (var (point, clean) in new[] { (c.Sigmoid, Clean.Sigmoid), (c.Embedding, Clean.Embedding) })
                cells.AddRange([F(point.PaperMap), point.WeightedPaperMap is { } w ? F(w) : "", Relative(point, clean) is { } r ? F(r) : "",
                    F(point.Ap100), F(point.PrecisionAt1), F(point.PrecisionAt5), F(point.NdcgAt5)]);
            writer.WriteLine(string.Join(",", cells));
        }
    });

    static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);

    static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
}
