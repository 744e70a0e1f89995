using System.CommandLine;
using LabelSphere.Data;
using LabelSphere.Text;

namespace LabelSphere.Cli;

/// <summary>
/// The reader options every verb that reads annotations takes (embed, train, predict, compare, demo), and, for the
/// verbs that train (<c>trains</c>), how text data is vectorised.
/// </summary>
internal sealed class ReaderArguments(bool trains = false)
{
    static readonly ReaderOptions Defaults = new();
    static readonly TextFeatureOptions TextDefaults = new();

    public readonly Option<AnnotationFormat?> Format = NamedOptions.Optional<AnnotationFormat>("--format", "Annotation format; detected from the file when omitted");

    public readonly Option<bool> SkipInvalid = new("--skip-invalid") { Description = "Skip and count invalid instances instead of stopping at the first" };

    public readonly Option<string?> LabelsXml = new("--labels-xml") { Description = "Mulan: the label XML file (found beside the ARFF by default)" };

    public readonly Option<string?> LabelNames = new("--label-names") { Description = "Extreme text: label names, one per line (<prefix>_labels.txt beside the data by default)" };

    public readonly Option<bool> ZeroBased = new("--zero-based") { Description = "LIBSVM: feature indices start at 0 (as scikit-learn writes them) instead of 1" };

    public readonly Option<string> TextColumn = new("--text-column") { Description = $"Text CSV and JSON Lines: the column that holds the text", DefaultValueFactory = _ => Defaults.TextColumn };

    public readonly Option<string> LabelsColumn = new("--labels-column") { Description = $"Text CSV and JSON Lines: the column that holds the labels", DefaultValueFactory = _ => Defaults.LabelsColumn };

    public readonly Option<string?> IdColumn = new("--id-column") { Description = "Text CSV and JSON Lines: the column that names each instance (instances are named by row when omitted)" };

    public readonly Option<string?> LabelSeparator = new("--label-separator") { Description = "Text formats: what separates the labels of an instance (a space when omitted, as LibMultiLabel writes them)" };

    public readonly Option<int> NgramMin = new Option<int>("--ngram-min") { Description = "Text data: the shortest word n-gram", DefaultValueFactory = _ => TextDefaults.NgramMin }.AtLeast(1);

    public readonly Option<int> NgramMax = new Option<int>("--ngram-max") { Description = "Text data: the longest word n-gram (2 adds word pairs)", DefaultValueFactory = _ => TextDefaults.NgramMax }.AtLeast(1);

    public readonly Option<int> MinDf = new Option<int>("--min-df") { Description = "Text data: keep terms found in at least this many training instances", DefaultValueFactory = _ => TextDefaults.MinDocumentFrequency }.AtLeast(1);

    public readonly Option<int?> MaxFeatures = new Option<int?>("--max-features") { Description = "Text data: keep at most this many terms, the most frequent in the training instances (default all)" }.AtLeast(1);

    public readonly Option<int?> HashWidth = new Option<int?>("--hash-width") { Description = "Text data: hash terms into this many features instead of learning a vocabulary (default: a vocabulary)" }.AtLeast(1);

    public void AddTo(Command command)
    {
        command.Options.Add(Format);
        command.Options.Add(SkipInvalid);
        command.Options.Add(LabelsXml);
        command.Options.Add(LabelNames);
        command.Options.Add(ZeroBased);
        command.Options.Add(TextColumn);
        command.Options.Add(LabelsColumn);
        command.Options.Add(IdColumn);
        command.Options.Add(LabelSeparator);
        if (!trains) return;
        command.Options.Add(NgramMin);
        command.Options.Add(NgramMax);
        command.Options.Add(MinDf);
        command.Options.Add(MaxFeatures);
        command.Options.Add(HashWidth);
    }

    /// <summary>
    /// One line on standard error when reading <paramref name="data"/> skipped invalid instances (--skip-invalid): how
    /// many, and the first defect; returns the data.
    /// </summary>
    public static AnnotationSet ReportSkipped(AnnotationSet data)
    {
        ReportSkipped(data.Report);
        return data;
    }

    /// <summary>The same line for a file read as a stream.</summary>
    public static void ReportSkipped(ReadReport report)
    {
        if (report.SkippedInvalid > 0)
            Console.Error.WriteLine($"{report.Path}: {report.SkippedInvalid:N0} invalid instances skipped" +
                (report.FirstErrors.Count > 0 ? $"; first: {report.FirstErrors[0]}" : ""));
    }

    /// <summary>The reader options the command line sets; the text vectoriser's are checked here, before any file is read.</summary>
    public ReaderOptions Get(ParseResult parse)
    {
        var text = trains
            ? new TextFeatureOptions
            {
                NgramMin = parse.GetValue(NgramMin),
                NgramMax = parse.GetValue(NgramMax),
                MinDocumentFrequency = parse.GetValue(MinDf),
                MaxFeatures = parse.GetValue(MaxFeatures),
                HashWidth = parse.GetValue(HashWidth),
            }
            : TextDefaults;
        text.Validate();
        return new ReaderOptions
        {
            Format = parse.GetValue(Format),
            SkipInvalid = parse.GetValue(SkipInvalid),
            LabelXmlPath = parse.GetValue(LabelsXml),
            LabelNamesPath = parse.GetValue(LabelNames),
            ZeroBasedFeatures = parse.GetValue(ZeroBased),
            TextColumn = parse.GetValue(TextColumn)!,
            LabelsColumn = parse.GetValue(LabelsColumn)!,
            IdColumn = parse.GetValue(IdColumn),
            LabelSeparator = parse.GetValue(LabelSeparator) ?? Defaults.LabelSeparator,
            TextFeatures = text,
        };
    }
}

/// <summary>Options over enums whose values are written in kebab case (or by a name function), in help and on the command line.</summary>
internal static class NamedOptions
{
    // How each enum option writes its values, for help's [default: ...] (Cli.DefaultText).
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Option, Func<Enum, string>> Names = new();

    /// <summary>An option whose values are the enum's names in kebab case.</summary>
    public static Option<T> Create<T>(string name, string description, T defaultValue) where T : struct, Enum =>
        Create(name, description, defaultValue, v => Cli.Kebab(v.ToString()));

    public static Option<T> Create<T>(string name, string description, T defaultValue, Func<T, string> nameOf) where T : struct, Enum
    {
        var names = Enum.GetValues<T>().ToDictionary(nameOf, v => v);
        var option = new Option<T>(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => Parse(result, name, names) ?? defaultValue,
        };
        return Register(option, names.Keys, nameOf);
    }

    /// <summary>An enum option without a default: null when not given.</summary>
    public static Option<T?> Optional<T>(string name, string description) where T : struct, Enum
    {
        Func<T, string> nameOf = v => Cli.Kebab(v.ToString());
        var names = Enum.GetValues<T>().ToDictionary(nameOf, v => v);
        var option = new Option<T?>(name) { Description = description, CustomParser = result => Parse(result, name, names) };
        return Register(option, names.Keys, nameOf);
    }

    /// <summary>How <paramref name="option"/> writes <paramref name="value"/> on the command line.</summary>
    public static string NameOf(Option option, Enum value) => Names.TryGetValue(option, out var nameOf) ? nameOf(value) : Cli.Kebab(value.ToString());

    static T? Parse<T>(System.CommandLine.Parsing.ArgumentResult result, string name, Dictionary<string, T> names) where T : struct, Enum
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (names.TryGetValue(token.ToLowerInvariant(), out var value)) return value;
        result.AddError($"{name}: '{IO.Printable.Shorten(token)}' is not one of {string.Join(", ", names.Keys)}");
        return null;
    }

    // The values the help's first column lists (<a|b|c>) are the accepted names, not the enum's member names.
    static TOption Register<TOption, T>(TOption option, IEnumerable<string> names, Func<T, string> nameOf) where TOption : Option where T : struct, Enum
    {
        option.CompletionSources.Clear();
        option.CompletionSources.Add([.. names]);
        Names.Add(option, v => nameOf((T)v));
        return option;
    }
}
