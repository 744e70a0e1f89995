using System.CommandLine;
using LabelSphere.Data;

namespace LabelSphere.Cli;

/// <summary>The reader options every verb that reads annotations takes (embed, train, predict, compare, demo).</summary>
internal sealed class ReaderArguments
{
    public readonly Option<AnnotationFormat?> Format = new("--format")
    {
        Description = "Annotation format (extreme-text, mulan-arff, wide-csv, long-csv, coco-instances, coco-captions); detected from the file when omitted",
        CustomParser = r =>
        {
            var token = r.Tokens[0].Value;
            foreach (var f in Enum.GetValues<AnnotationFormat>()) if (Cli.Kebab(f.ToString()) == token.ToLowerInvariant()) return f;
            r.AddError($"--format: '{token}' is not one of {string.Join(", ", Enum.GetValues<AnnotationFormat>().Select(f => Cli.Kebab(f.ToString())))}");
            return null;
        },
    };

    public readonly Option<bool> SkipInvalid = new("--skip-invalid") { Description = "Skip and count invalid instances instead of stopping at the first" };

    public readonly Option<string?> LabelsXml = new("--labels-xml") { Description = "Mulan: the label XML file (found beside the ARFF by default)" };

    public readonly Option<string?> LabelNames = new("--label-names") { Description = "Extreme text: label names, one per line (<prefix>_labels.txt beside the data by default)" };

    public void AddTo(Command command)
    {
        command.Options.Add(Format);
        command.Options.Add(SkipInvalid);
        command.Options.Add(LabelsXml);
        command.Options.Add(LabelNames);
    }

    /// <summary>
    /// One line on standard error when reading <paramref name="data"/> skipped invalid instances (--skip-invalid): how
    /// many, and the first defect; returns the data.
    /// </summary>
    public static AnnotationSet ReportSkipped(AnnotationSet data)
    {
        var report = data.Report;
        if (report.SkippedInvalid > 0)
            Console.Error.WriteLine($"{report.Path}: {report.SkippedInvalid:N0} invalid instances skipped" +
                (report.FirstErrors.Count > 0 ? $"; first: {report.FirstErrors[0]}" : ""));
        return data;
    }

    public ReaderOptions Get(ParseResult parse) => new()
    {
        Format = parse.GetValue(Format),
        SkipInvalid = parse.GetValue(SkipInvalid),
        LabelXmlPath = parse.GetValue(LabelsXml),
        LabelNamesPath = parse.GetValue(LabelNames),
    };
}

/// <summary>Options over enums whose command-line names are given explicitly.</summary>
internal static class NamedOptions
{
    /// <summary>An option whose values are the enum's names in kebab case.</summary>
    public static Option<T> Create<T>(string name, string description, T defaultValue) where T : struct, Enum =>
        Create(name, description, defaultValue, v => Cli.Kebab(v.ToString()));

    public static Option<T> Create<T>(string name, string description, T defaultValue, Func<T, string> nameOf) where T : struct, Enum
    {
        var names = Enum.GetValues<T>().ToDictionary(nameOf, v => v);
        var option = new Option<T>(name)
        {
            Description = $"{description} ({string.Join(", ", names.Keys)}; default {nameOf(defaultValue)})",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result =>
            {
                var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (names.TryGetValue(token.ToLowerInvariant(), out var value)) return value;
                result.AddError($"{name}: '{token}' is not one of {string.Join(", ", names.Keys)}");
                return defaultValue;
            },
        };
        option.AcceptOnlyFromAmong([.. names.Keys]);
        return option;
    }
}
