using System.CommandLine;
using System.Text.RegularExpressions;
using LabelSphere.Cli;

namespace LabelSphere.Tests.Cli;

/// <summary>
/// The grammar of every verb at once, read from the tool's own command tree and parsed by its own parser: how help
/// shows values and defaults, and that what it shows is accepted.
/// </summary>
public sealed partial class CommandLineGrammarTests
{
    /// <summary>Every verb of the tool, with the command tree <c>labelsphere</c> runs.</summary>
    internal static IEnumerable<Command> Verbs() => Grammar.Root.Subcommands;

    public static TheoryData<string> VerbNames() => [.. Grammar.Root.Subcommands.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(VerbNames))]
    public void Each_help_line_shows_its_default_once(string verb)
    {
        // Given the help of the verb, when a line ends in [default: ...], then its description does not state a default too
        foreach (var line in Grammar.Help(verb).Split('\n'))
        {
            int at = line.LastIndexOf("[default:", StringComparison.Ordinal);
            if (at < 0) continue;
            Assert.False(line[..at].Contains("default", StringComparison.OrdinalIgnoreCase), $"{verb}: the default is stated twice in\n{line}");
        }
    }

    [Theory]
    [MemberData(nameof(VerbNames))]
    public void Help_shows_enum_values_and_defaults_in_kebab_case_only(string verb)
    {
        var help = Grammar.Help(verb);
        var shown = string.Join(" ", ValueLists().Matches(help).Select(m => m.Value));
        foreach (var option in Grammar.Verb(verb).Options)
        {
            var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            if (!type.IsEnum) continue;
            foreach (var name in Enum.GetNames(type))
                if (name != name.ToLowerInvariant())
                    Assert.DoesNotMatch($@"\b{name}\b", shown);
        }
        Assert.DoesNotContain("RmsProp", help);
    }

    [Theory]
    [MemberData(nameof(VerbNames))]
    public void Every_default_help_shows_parses_back_to_the_default(string verb)
    {
        var help = Grammar.Help(verb);
        // Flags (false unless given) show no default.
        foreach (var option in Grammar.Verb(verb).Options.Where(o => o.HasDefaultValue && o.GetDefaultValue() is not false))
        {
            var line = help.Split('\n').SingleOrDefault(l => l.TrimStart().StartsWith(option.Name + " ", StringComparison.Ordinal));
            Assert.NotNull(line);
            var match = Regex.Match(line, @"\[default: (.*)\]\s*$");
            Assert.True(match.Success, $"{verb} {option.Name}: no default shown in\n{line}");
            var parse = Grammar.Parse(verb, option.Name, match.Groups[1].Value);
            Assert.True(parse.Errors.Count == 0, $"{verb} {option.Name} {match.Groups[1].Value}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
            Assert.Equal(option.GetDefaultValue(), Grammar.Value(parse, option));
        }
    }

    [GeneratedRegex(@"<[^<>]*>|\[default: [^\]]*\]")]
    private static partial Regex ValueLists();
}

/// <summary>The tool's command tree, in process: help text and parses of command lines with the verb's required arguments filled in.</summary>
internal static class Grammar
{
    public static readonly RootCommand Root = LabelSphere.Cli.Cli.CreateRoot();

    public static Command Verb(string name) => Root.Subcommands.Single(c => c.Name == name);

    public static string Help(string verb)
    {
        var output = new StringWriter();
        Root.Parse([verb, "--help"]).Invoke(new InvocationConfiguration { Output = output, Error = new StringWriter() });
        return output.ToString();
    }

    /// <summary>Parses <c>labelsphere verb &lt;arguments&gt; &lt;required options&gt; args...</c>, placeholders standing for what is required.</summary>
    public static ParseResult Parse(string verb, params string[] args)
    {
        var command = Verb(verb);
        var line = new List<string> { verb };
        line.AddRange(command.Arguments.Select(a => "x"));
        foreach (var option in command.Options.Where(o => o.Required && !args.Contains(o.Name))) line.AddRange([option.Name, "x"]);
        line.AddRange(args);
        return Root.Parse(line);
    }

    public static object? Value(ParseResult parse, Option option) =>
        typeof(ParseResult).GetMethods().Single(m => m.Name == nameof(ParseResult.GetValue) && m.IsGenericMethod && m.GetParameters()[0].ParameterType.IsGenericType
            && m.GetParameters()[0].ParameterType.GetGenericTypeDefinition() == typeof(Option<>))
            .MakeGenericMethod(option.ValueType).Invoke(parse, [option]);
}
