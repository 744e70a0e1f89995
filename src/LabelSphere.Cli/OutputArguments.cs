using System.CommandLine;
using LabelSphere.Embedding;
using LabelSphere.IO;
using LabelSphere.Synthetic;
using LabelSphere.Training;

namespace LabelSphere.Cli;

/// <summary>
/// The output-folder rule as every verb that writes a folder (embed, add-label, train, compare, zeroshot, noise,
/// generate, demo) applies it: one <c>--overwrite</c> option, the inputs the folder must not hold, the kinds of
/// folder the experiment verbs write, and the CLI's wording of a refusal (<see cref="OutputFolder"/>).
/// </summary>
internal static class OutputArguments
{
    public static readonly Option<bool> Overwrite = new("--overwrite")
    {
        Description = "Replace --out when it holds this verb's own earlier output (never a folder holding anything else)",
    };

    /// <summary>The rule's options: --overwrite and the paths the verb reads (null entries are ignored).</summary>
    public static OutputOptions Options(ParseResult parse, params string?[] inputs) => new()
    {
        Overwrite = parse.GetValue(Overwrite),
        Inputs = inputs.Where(i => !string.IsNullOrWhiteSpace(i)).Select(i => i!).ToArray(),
    };

    /// <summary>Opens --out (<paramref name="path"/>) under the rule, before any input is read, so a refusal or a lock comes at once.</summary>
    public static OutputFolder Open(ParseResult parse, string path, OutputKind kind, params string?[] inputs) =>
        OutputFolder.Open(path, kind, Options(parse, inputs));

    /// <summary>The paths of the reader options (label XML, label names) a verb reads besides its data.</summary>
    public static string?[] ReaderInputs(ParseResult parse, ReaderArguments reader) =>
        [parse.GetValue(reader.LabelsXml), parse.GetValue(reader.LabelNames)];

    /// <summary>
    /// Checks a figure file the verb is asked to write (<paramref name="option"/>, e.g. --plot) before any work: its
    /// folder exists, and a file already there is replaced only with --overwrite and only when it is a PNG image.
    /// </summary>
    public static void CheckFigureFile(string option, string path, bool overwrite)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder)) throw new ArgumentException($"{option}: the folder {folder} does not exist");
        if (Directory.Exists(path)) throw new ArgumentException($"{option}: {path} is a folder; name a .png file");
        if (!File.Exists(path)) return;
        if (!overwrite) throw new ArgumentException($"{option}: {path} exists; replace it with --overwrite, or choose another path");
        Span<byte> signature = stackalloc byte[8];
        using (var file = File.OpenRead(path))
            if (file.ReadAtLeast(signature, 8, throwOnEndOfStream: false) < 8 || !signature.SequenceEqual(PngSignature))
                throw new ArgumentException($"{option}: {path} is not a PNG image; --overwrite replaces only a figure");
    }

    static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The refusal in the CLI's words: which option to add or change.</summary>
    public static string Explain(OutputFolderException e) => e.Reason switch
    {
        OutputRefusal.Exists when e.Kind == Trainer.RunKind || e.Kind == TrainingRun =>
            $"{e.Folder} already holds a training run; continue it with --resume, replace it with --overwrite, or choose another --out",
        OutputRefusal.Exists => $"{e.Folder} already holds {e.Kind.Name}; replace it with --overwrite, or choose another --out",
        _ => "--out: " + e.Message,
    };

    /// <summary>train's folder: the library's training run and the figure of its curves (<see cref="Plots.Training"/>).</summary>
    public static readonly OutputKind TrainingRun = new(Trainer.RunKind.Name, Trainer.RunKind.Recognises,
        [Trainer.LogFileName, Trainer.CheckpointFolderName, ModelFolder.ModelSubfolder, Trainer.BestFolderName, Plots.TrainingFile]);

    /// <summary>compare's folder: results.md, curves.csv, the figure and one training run per model.</summary>
    public static readonly OutputKind Comparison = new("a comparison",
        folder => File.Exists(Path.Combine(folder, "results.md")) && File.Exists(Path.Combine(folder, "curves.csv")),
        ["results.md", "curves.csv", "convergence.png", "convergence.svg"], Trainer.RunKind.Holds);

    /// <summary>One condition of noise: its curves and one training run per model.</summary>
    static readonly OutputKind NoiseCondition = new("a label-noise condition",
        folder => File.Exists(Path.Combine(folder, "curves.csv")), ["curves.csv"], Trainer.RunKind.Holds);

    /// <summary>noise's folder: results.md, results.csv and one comparison per condition.</summary>
    public static readonly OutputKind Noise = new("a label-noise experiment",
        folder => File.Exists(Path.Combine(folder, "results.md")) && File.Exists(Path.Combine(folder, "results.csv")),
        ["results.md", "results.csv", "noise.png"], NoiseCondition.Holds);

    /// <summary>zeroshot's folder: results.md, labels.csv, the extended embedding and one training run per model.</summary>
    public static readonly OutputKind ZeroShot = new("a zero-shot experiment",
        folder => File.Exists(Path.Combine(folder, "results.md")) && File.Exists(Path.Combine(folder, "labels.csv")),
        ["results.md", "labels.csv", "zeroshot.png"], sub => Trainer.RunKind.Holds(sub) || LabelEmbedding.FolderKind.Holds(sub));

    /// <summary>demo's report folder: the world (when synthetic), the embedding and the comparison.</summary>
    public static readonly OutputKind Demo = new("a demo report",
        folder => Directory.Exists(Path.Combine(folder, "comparison")) && Directory.Exists(Path.Combine(folder, "embedding")),
        [], sub => Path.GetFileName(sub) switch
        {
            "world" => WorldWriter.Kind.Holds(sub),
            "embedding" => LabelEmbedding.FolderKind.Holds(sub),
            "comparison" => Comparison.Holds(sub),
            _ => false,
        });
}
