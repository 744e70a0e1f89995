using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Native;
using Spectre.Console;

[assembly: InternalsVisibleTo("LabelSphere.Tests")]

namespace LabelSphere.Cli;

/// <summary>What every verb shares: the error policy, the consoles, JSON output and enum options in kebab case.</summary>
internal static class Cli
{
    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Print stack traces with errors",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON on standard output",
    };

    /// <summary>
    /// Progress and summaries go to standard error, so that standard output carries only results; progress is live
    /// when standard error is a terminal, whatever standard output is redirected to.
    /// </summary>
    public static readonly IAnsiConsole Err = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
        Interactive = Console.IsErrorRedirected ? InteractionSupport.No : InteractionSupport.Yes,
    });

    // Where progress goes when standard error is not a terminal: nowhere. Spectre's fallback there prints each task
    // once, as it starts ("eigenpairs (k = 64): 0%"), and never its end, so a log would show finished steps at 0%.
    static readonly IAnsiConsole NoProgress = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(TextWriter.Null),
        Interactive = InteractionSupport.No,
    });

    /// <summary>Progress bars for a verb's long steps: live on a terminal, none otherwise (the verb's summary says what was done).</summary>
    public static Progress Progress() => (Err.Profile.Capabilities.Interactive ? Err : NoProgress).Progress();

    /// <summary>A spinner for a step without a measurable amount of work, under the same rule as <see cref="Progress"/>.</summary>
    public static Status Status() => (Err.Profile.Capabilities.Interactive ? Err : NoProgress).Status();

    /// <summary>Results: tables and lists for people.</summary>
    public static readonly IAnsiConsole Out = AnsiConsole.Console;

    static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>
    /// Runs a verb: bad input (a file's defect, an unknown label, an out-of-range option) becomes one line on
    /// standard error (<see cref="ErrorLine"/>) and exit code 1; the stack trace only with --verbose.
    /// </summary>
    public static async Task<int> Run(ParseResult parse, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine(UsageLine(parse, e.Message));
            return UsageError;
        }
        catch (IO.OutputFolderException e)
        {
            Console.Error.WriteLine("error: " + OutputArguments.Explain(e));
            if (parse.GetValue(Verbose)) Console.Error.WriteLine(e);
            return 1;
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine("error: " + ErrorLine.Describe(e, parse));
            if (parse.GetValue(Verbose)) Console.Error.WriteLine(e);
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }

    /// <summary>The exit code of a command line that does not parse or whose values are out of range (bad input in a file is 1).</summary>
    public const int UsageError = 2;

    /// <summary>The <c>labelsphere</c> command and its verbs, with their number parsers and help as the tool shows them.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("LabelSphere: information-theoretical label embeddings (Chollet 2016) for multi-label classification.");
        root.Options.Add(Verbose);
        foreach (var verb in new[]
        {
            Commands.EmbedCommand.Create(), Commands.NeighborsCommand.Create(), Commands.ArithmeticCommand.Create(), Commands.AddLabelCommand.Create(),
            Commands.TrainCommand.Create(), Commands.PredictCommand.Create(), Commands.EvaluateCommand.Create(), Commands.CompareCommand.Create(), Commands.FeaturesCommand.Create(), Commands.PackCommand.Create(),
            Commands.ZeroShotCommand.Create(), Commands.NoiseCommand.Create(), Commands.DemoCommand.Create(), Commands.GenerateCommand.Create(),
            Commands.DoctorCommand.Create(), Commands.ExportCommand.Create(), Commands.ServeCommand.Create(),
        })
            root.Subcommands.Add(verb);
        ErrorLine.AddNumberParsers(root);
        ConfigureHelp(root);
        return root;
    }

    /// <summary>
    /// Parses <paramref name="args"/> against <paramref name="root"/>; an invalid command line becomes one line on
    /// standard error (<see cref="UsageErrorLine"/>) and exit code 2, instead of the messages followed by the help text.
    /// </summary>
    public static Task<int> Invoke(RootCommand root, string[] args, InvocationConfiguration configuration)
    {
        var parse = root.Parse(args);
        if (UsageErrorLine(parse) is not { } line) return parse.InvokeAsync(configuration);
        Console.Error.WriteLine(line);
        return Task.FromResult(UsageError);
    }

    /// <summary>
    /// The one line a command line that does not parse gets: what is wrong, naming the option, and where the verb's
    /// help is; null when it parses (or asks for help, which then shows).
    /// </summary>
    public static string? UsageErrorLine(ParseResult parse)
    {
        if (parse.Errors.Count == 0 || parse.Action is not System.CommandLine.Invocation.ParseErrorAction) return null;
        // The first problem only: a value that does not parse or lies out of range, an unknown or renamed option.
        return UsageLine(parse, Renamed.Explain(parse) ?? parse.Errors[0].Message.TrimEnd('.'));
    }

    /// <summary>A usage error's one line: what is wrong, naming the option, and where the verb's help is.</summary>
    static string UsageLine(ParseResult parse, string message)
    {
        var command = parse.CommandResult.Command;
        var verb = command is RootCommand ? "labelsphere" : $"labelsphere {command.Name}";
        return "error: " + IO.Printable.Escape(message) + $" (see '{verb} --help')";
    }

    /// <summary>
    /// Help as every verb shows it: each option's default once, in the form the option accepts (kebab case for
    /// enum values, invariant numbers), after its description.
    /// </summary>
    static void ConfigureHelp(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new DefaultsHelpAction(new HelpAction { MaxWidth = int.MaxValue });
    }

    // System.CommandLine writes an enum's default as its member name (CenterCrop); the line is rewritten with the
    // value as the option takes it (center-crop).
    sealed class DefaultsHelpAction(HelpAction inner) : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parse)
        {
            var configuration = parse.InvocationConfiguration;
            var output = configuration.Output;
            var text = new StringWriter();
            configuration.Output = text;
            try
            {
                inner.Invoke(parse);
            }
            finally
            {
                configuration.Output = output;
            }
            var options = new List<Option>();
            for (Symbol? symbol = parse.CommandResult.Command; symbol is Command command; symbol = command.Parents.FirstOrDefault())
                options.AddRange(command.Options);
            var lines = text.ToString().Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                var label = lines[i].TrimStart();
                foreach (var option in options)
                {
                    if (!option.HasDefaultValue || !(label.StartsWith(option.Name + " ", StringComparison.Ordinal) || label == option.Name)) continue;
                    var shown = $"[default: {option.GetDefaultValue()}]";
                    int at = lines[i].LastIndexOf(shown, StringComparison.Ordinal);
                    if (at >= 0 && DefaultText(option) is { } kebab) lines[i] = lines[i][..at] + $"[default: {kebab}]" + lines[i][(at + shown.Length)..];
                }
            }
            output.Write(string.Join('\n', lines));
            return 0;
        }
    }

    /// <summary>An option's default as the command line would write it, or null when it has none.</summary>
    public static string? DefaultText(Option option)
    {
        if (!option.HasDefaultValue) return null;
        return option.GetDefaultValue() switch
        {
            null => null,
            Enum value => NamedOptions.NameOf(option, value),
            bool b => b ? "true" : "false",
            IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
            var other => other.ToString(),
        };
    }

    static bool IsUserError(Exception e) => e is AnnotationFormatException or EmbeddingFormatException or UnknownLabelException
        or FileNotFoundException or DirectoryNotFoundException or ArgumentException or FormatException
        or TorchUnavailableException or UnauthorizedAccessException or IOException or InvalidDataException
        or Training.ModelFormatException or NotSupportedException or Embedding.EigenConvergenceException;

    /// <summary>An option over an enum whose values are written in kebab case (half-count for HalfCount).</summary>
    public static Option<T> EnumOption<T>(string name, string description, T defaultValue) where T : struct, Enum =>
        NamedOptions.Create(name, description, defaultValue);

    public static string Kebab(string pascal) => JsonNamingPolicy.KebabCaseLower.ConvertName(pascal);

    public static Option<int> TopOption(string description = "How many labels to list", int defaultValue = 10) =>
        new Option<int>("--top") { Description = description, DefaultValueFactory = _ => defaultValue }.AtLeast(1);

    /// <summary>Prints scored labels as a table for people.</summary>
    public static void PrintScores(string title, IReadOnlyList<ScoredLabel> labels)
    {
        var table = new Table().Border(TableBorder.Simple).Title(title);
        table.AddColumn("#");
        table.AddColumn("label");
        table.AddColumn(new TableColumn("cosine").RightAligned());
        for (int i = 0; i < labels.Count; i++)
            table.AddRow((i + 1).ToString(), Markup.Escape(labels[i].Name), labels[i].Score.ToString("F3"));
        Out.Write(table);
    }

    public static object ScoresJson(IReadOnlyList<ScoredLabel> labels) =>
        labels.Select(l => new { label = l.Name, score = l.Score }).ToArray();
}

/// <summary>
/// A command line whose options parse one by one but not together (two that exclude each other, one that needs
/// another): a usage error like a value out of range, exit code 2, found when the verb starts.
/// </summary>
internal sealed class UsageException(string message) : ArgumentException(message);
