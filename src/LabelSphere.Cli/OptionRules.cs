using System.CommandLine;
using System.Globalization;

namespace LabelSphere.Cli;

/// <summary>
/// Ranges of numeric options, checked when the command line is parsed: a value outside its range is a usage error
/// (exit code 2) that names the option and the rule, before any file is read.
/// </summary>
internal static class OptionRules
{
    /// <summary><paramref name="option"/> must be at least <paramref name="minimum"/>.</summary>
    public static Option<T> AtLeast<T>(this Option<T> option, double minimum) =>
        Rule(option, v => Compare(v, minimum) >= 0 && Finite(v), $"at least {Show(minimum)}");

    /// <summary><paramref name="option"/> must be above <paramref name="bound"/> (and finite).</summary>
    public static Option<T> Above<T>(this Option<T> option, double bound) =>
        Rule(option, v => Compare(v, bound) > 0 && Finite(v), $"above {Show(bound)}");

    /// <summary><paramref name="option"/> must lie in [<paramref name="minimum"/>, <paramref name="maximum"/>], or below the maximum when it is excluded.</summary>
    public static Option<T> Between<T>(this Option<T> option, double minimum, double maximum, bool maximumIncluded = true) =>
        Rule(option, v => Compare(v, minimum) >= 0 && (maximumIncluded ? Compare(v, maximum) <= 0 : Compare(v, maximum) < 0),
            maximumIncluded ? $"between {Show(minimum)} and {Show(maximum)}" : $"at least {Show(minimum)} and below {Show(maximum)}");

    static Option<T> Rule<T>(Option<T> option, Func<object, bool> ok, string rule)
    {
        option.Validators.Add(result =>
        {
            // A value that did not parse has its error already; a missing one (an optional option) has no range.
            if (result.Implicit || result.Tokens.Count == 0) return;
            T? parsed;
            try
            {
                parsed = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return;   // the parser's error ("'abc' is not an integer") says it
            }
            if (parsed is not { } value) return;
            if (!ok(value)) result.AddError($"{option.Name} must be {rule}, got {Show(value)}");
        });
        return option;
    }

    static int Compare(object value, double bound) => Convert.ToDouble(value, CultureInfo.InvariantCulture).CompareTo(bound);

    static bool Finite(object value) => double.IsFinite(Convert.ToDouble(value, CultureInfo.InvariantCulture));

    static string Show(object? value) => value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value?.ToString() ?? "";
}
