using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Native;
using Spectre.Console;

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

    /// <summary>Progress and summaries go to standard error, so that standard output carries only results.</summary>
    public static readonly IAnsiConsole Err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

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

    /// <summary>
    /// Parses <paramref name="args"/> against <paramref name="root"/>; an invalid command line becomes one line on
    /// standard error and exit code 1, like any other bad input, instead of the messages followed by the help text.
    /// </summary>
    /// <summary>The exit code of a command line that does not parse (bad input in a file or value is 1).</summary>
    public const int UsageError = 2;

    public static Task<int> Invoke(RootCommand root, string[] args, InvocationConfiguration configuration)
    {
        ErrorLine.AddNumberParsers(root);
        var parse = root.Parse(args);
        if (parse.Errors.Count == 0 || parse.Action is not System.CommandLine.Invocation.ParseErrorAction) return parse.InvokeAsync(configuration);
        var verb = parse.CommandResult.Command == root ? "labelsphere" : $"labelsphere {parse.CommandResult.Command.Name}";
        Console.Error.WriteLine("error: " + IO.Printable.Escape(string.Join("; ", parse.Errors.Select(e => e.Message.TrimEnd('.')))) + $" (see '{verb} --help')");
        return Task.FromResult(UsageError);
    }

    static bool IsUserError(Exception e) => e is AnnotationFormatException or EmbeddingFormatException or UnknownLabelException
        or FileNotFoundException or DirectoryNotFoundException or ArgumentException or FormatException
        or TorchUnavailableException or UnauthorizedAccessException or IOException or InvalidDataException
        or Training.ModelFormatException or NotSupportedException;

    /// <summary>An option over an enum whose values are written in kebab case (half-count for HalfCount).</summary>
    public static Option<T> EnumOption<T>(string name, string description, T defaultValue) where T : struct, Enum =>
        NamedOptions.Create(name, description, defaultValue);

    public static string Kebab(string pascal) => JsonNamingPolicy.KebabCaseLower.ConvertName(pascal);

    public static Option<int> TopOption() => new("--top")
    {
        Description = "How many labels to list",
        DefaultValueFactory = _ => 10,
        Validators = { r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--top must be at least 1"); } },
    };

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
