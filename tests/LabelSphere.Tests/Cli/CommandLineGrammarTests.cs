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

    // What only train has: its run folder (resumable, checkpointed), its held-out file, its one head and optional embedding.
    // --distributed: only train runs over mpirun (the others are refused with a usage line, DistributedTrainingTests).
    static readonly string[] TrainOnly = ["--out", "--test", "--resume", "--checkpoint-every", "--head", "--embedding", "--json", "--overwrite", "--help", "--distributed"];

    // Declared differences: zeroshot scores the final models only; the demo's budget is a few minutes.
    static readonly (string Verb, string Option, bool Absent)[] Declared =
    [
        ("zeroshot", "--validation", true), ("zeroshot", "--keep", true), ("zeroshot", "--eval-every", true),
        ("demo", "--steps", false), ("demo", "--eval-every", false),
    ];

    [Theory]
    [InlineData("compare")]
    [InlineData("zeroshot")]
    [InlineData("noise")]
    [InlineData("demo")]
    public void Every_verb_that_trains_takes_every_training_option_of_train_with_the_same_default(string verb)
    {
        var train = Grammar.Verb("train");
        var other = Grammar.Verb(verb);
        foreach (var option in train.Options.Where(o => !TrainOnly.Contains(o.Name)))
        {
            var declared = Declared.Where(d => d.Verb == verb && d.Option == option.Name).ToArray();
            var same = other.Options.SingleOrDefault(o => o.Name == option.Name);
            if (declared is [{ Absent: true }]) { Assert.Null(same); continue; }
            Assert.True(same is not null, $"{verb} lacks train's {option.Name}");
            Assert.Equal(option.ValueType, same.ValueType);
            if (declared.Length == 0) Assert.Equal(LabelSphere.Cli.Cli.DefaultText(option), LabelSphere.Cli.Cli.DefaultText(same));
        }
    }

    [Theory]
    [InlineData("generate", "--labels", "20", "--label-count")]
    [InlineData("generate", "--features", "8", "--feature-dim")]
    [InlineData("compare", "--dims", "4,8", "--dim")]
    [InlineData("train", "--validation-fraction", "0.2", "--validation")]
    [InlineData("compare", "--validation-fraction", "0.2", "--validation")]
    [InlineData("train", "--no-augment", null, "--augment false")]
    [InlineData("embed", "--min-count", "3", "--min-word-count")]
    public void An_old_option_name_is_a_usage_error_naming_the_new_one(string verb, string old, string? value, string replacement)
    {
        var parse = Grammar.Parse(verb, value is null ? [old] : [old, value]);
        Assert.Equal($"error: {old} is now {replacement} (see 'labelsphere {verb} --help')", LabelSphere.Cli.Cli.UsageErrorLine(parse));
    }

    [Fact]
    public void An_old_option_name_points_to_its_new_name_only_where_the_verb_takes_it()
    {
        // Given zeroshot, which measures its models only at the end and so takes no --validation
        var parse = Grammar.Parse("zeroshot", ["--validation-fraction", "0.2"]);

        // Then its old name is a usage error that does not send the user to an option zeroshot refuses too
        var line = LabelSphere.Cli.Cli.UsageErrorLine(parse);
        Assert.NotNull(line);
        Assert.DoesNotContain("is now --validation", line);
        Assert.Contains("--validation-fraction", line);
    }

    [Fact]
    public void One_name_has_one_meaning_across_verbs()
    {
        // Given every option of every verb, an option name takes one kind of value wherever it appears
        // (a list of values, an int or a long count the same thing)
        static Type Kind(Type type)
        {
            type = type.IsArray ? type.GetElementType()! : Nullable.GetUnderlyingType(type) ?? type;
            return type == typeof(long) ? typeof(int) : type;
        }
        var kinds = Grammar.Root.Subcommands.SelectMany(v => v.Options.Select(o => (Verb: v.Name, o.Name, Type: Kind(o.ValueType))))
            .GroupBy(o => o.Name).Where(g => g.Select(o => o.Type).Distinct().Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(o => $"{o.Verb} {o.Type.Name}"))}");
        Assert.Empty(kinds);
        // and the pairs the issue named are gone
        Assert.DoesNotContain(Grammar.Root.Subcommands.SelectMany(v => v.Options), o => o.Name is "--dims" or "--no-augment" or "--validation-fraction");
    }

    public static TheoryData<string, string> NumericOptions()
    {
        var data = new TheoryData<string, string>();
        foreach (var verb in Grammar.Root.Subcommands)
            foreach (var option in verb.Options)
                if ((Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType) is var t && (t == typeof(int) || t == typeof(long) || t == typeof(double)))
                    data.Add(verb.Name, option.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(NumericOptions))]
    public void Every_numeric_option_refuses_an_absurd_value_when_the_command_line_is_parsed(string verb, string option)
    {
        // Given a negative count, share, rate or seed far outside any range, when the command line is parsed,
        // then it does not parse, and its one line names the option
        foreach (var absurd in new[] { "-1000000", "NaN" })
        {
            var line = LabelSphere.Cli.Cli.UsageErrorLine(Grammar.Parse(verb, option, absurd));
            Assert.True(line is not null, $"{verb} {option} {absurd} parses");
            Assert.StartsWith($"error: {option}", line);
            Assert.EndsWith($"(see 'labelsphere {verb} --help')", line);
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
