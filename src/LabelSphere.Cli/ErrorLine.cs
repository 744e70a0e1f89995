using System.CommandLine;
using System.Globalization;
using System.Numerics;
using LabelSphere.Data;
using LabelSphere.IO;

namespace LabelSphere.Cli;

/// <summary>
/// How an error reaches the user: one line on standard error. The library names its parameters and settings
/// (<c>Dimension</c>, <c>ReaderOptions.LabelXmlPath</c>), never command-line flags; this is the one place that maps
/// them to the options of the verb that ran (<c>--dim</c>, <c>--labels-xml</c>).
/// </summary>
internal static class ErrorLine
{
    // Library names whose option is not simply their kebab-case form (BatchSize → --batch-size needs no entry).
    // Several options may carry one name; the verb's own is used.
    static readonly Dictionary<string, string[]> OptionOf = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Dimension"] = ["--dim"],
        ["Labels"] = ["--label-count", "--labels"],
        ["Features"] = ["--feature-dim", "--features"],
        ["LearningRate"] = ["--lr"],
        ["WarmupSteps"] = ["--warmup"],
        ["Backbone"] = ["--model"],
        ["Embedding"] = ["--embedding"],
        ["MinLabelledShare"] = ["--min-labelled"],
        ["Scaling"] = ["--features", "--scaling"],
        ["ValidationFraction"] = ["--validation"],
        ["EmbeddingFolder"] = ["--embedding"],
        ["Size"] = ["--image-size"],
        ["MinWordCount"] = ["--min-word-count"],
        ["LabelXmlPath"] = ["--labels-xml"],
        ["LabelNamesPath"] = ["--label-names"],
        ["StopWordsPath"] = ["--stop-words"],
        ["ZeroBasedFeatures"] = ["--zero-based"],
        ["MinDocumentFrequency"] = ["--min-df"],
    };

    /// <summary>The message of <paramref name="error"/> as one printable line, naming the option at fault when there is one.</summary>
    public static string Describe(Exception error, ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        string message;
        switch (error)
        {
            case AnnotationFormatException { Error: var defect }:
                message = defect.ToString();
                if (OptionFor(defect.Setting, command) is { } setting) message += $" ({setting})";
                break;
            case ArgumentException { ParamName: { } name } argument:
                message = WithoutParameterSuffix(argument);
                if (OptionFor(name, command) is { } option && !message.StartsWith(option, StringComparison.Ordinal))
                    message = $"{option}: {message}";
                break;
            default:
                message = error.Message;
                break;
        }
        return Printable.Escape(message.Trim());
    }

    /// <summary>The option of <paramref name="command"/> that sets the library's <paramref name="name"/>, or null.</summary>
    public static string? OptionFor(string? name, Command command)
    {
        if (string.IsNullOrEmpty(name)) return null;
        var candidates = OptionOf.TryGetValue(name, out var known) ? known : ["--" + Cli.Kebab(name)];
        foreach (var candidate in candidates)
            foreach (var option in command.Options)
                if (option.Name == candidate || option.Aliases.Contains(candidate)) return candidate;
        return null;
    }

    /// <summary>
    /// The message an <see cref="ArgumentException"/> was made with: .NET appends " (Parameter 'x')" and, for an
    /// out-of-range argument, a second line "Actual value was ..."; the rule the message states already says both.
    /// </summary>
    static string WithoutParameterSuffix(ArgumentException error)
    {
        var message = error.Message;
        int newline = message.IndexOf('\n');
        if (newline >= 0 && error is ArgumentOutOfRangeException) message = message[..newline].TrimEnd('\r');
        var suffix = $" (Parameter '{error.ParamName}')";
        return message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }

    /// <summary>
    /// Gives every numeric option under <paramref name="root"/> that has no parser of its own one whose error names
    /// the option and the kind of value it takes ("--dim: 'abc' is not an integer"), instead of a .NET type name.
    /// </summary>
    public static void AddNumberParsers(Command root)
    {
        foreach (var option in root.Options) AddNumberParser(option);
        foreach (var command in root.Subcommands) AddNumberParsers(command);
    }

    static void AddNumberParser(Option option)
    {
        switch (option)
        {
            case Option<int> o when o.CustomParser is null: o.CustomParser = r => Parse<int>(r, o.Name).Value; break;
            case Option<int?> o when o.CustomParser is null: o.CustomParser = r => Nullable(Parse<int>(r, o.Name)); break;
            case Option<long> o when o.CustomParser is null: o.CustomParser = r => Parse<long>(r, o.Name).Value; break;
            case Option<long?> o when o.CustomParser is null: o.CustomParser = r => Nullable(Parse<long>(r, o.Name)); break;
            case Option<double> o when o.CustomParser is null: o.CustomParser = r => Parse<double>(r, o.Name).Value; break;
            case Option<double?> o when o.CustomParser is null: o.CustomParser = r => Nullable(Parse<double>(r, o.Name)); break;
        }
    }

    static T? Nullable<T>((T Value, bool Parsed) result) where T : struct => result.Parsed ? result.Value : null;

    static (T Value, bool Parsed) Parse<T>(System.CommandLine.Parsing.ArgumentResult result, string name) where T : INumber<T>
    {
        if (result.Tokens.Count == 0) return (T.Zero, false);
        var token = result.Tokens[0].Value;
        bool integer = typeof(T) != typeof(double);
        var style = integer ? NumberStyles.Integer : NumberStyles.Float;
        if (T.TryParse(token, style, CultureInfo.InvariantCulture, out var value)) return (value, true);
        bool tooLarge = integer && token.TrimStart('-', '+').Length > 0 && token.TrimStart('-', '+').All(char.IsAsciiDigit);
        result.AddError(tooLarge ? $"{name}: {token} is too large a number"
            : $"{name}: '{Printable.Shorten(token)}' is not {(integer ? "an integer" : "a number")}");
        return (T.Zero, false);
    }
}
