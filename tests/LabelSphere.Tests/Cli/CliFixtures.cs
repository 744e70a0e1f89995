using System.Globalization;
using System.Text;
using LabelSphere.Tests.Training;

namespace LabelSphere.Tests.Cli;

/// <summary>Input files for the CLI tests.</summary>
internal static class CliFixtures
{
    /// <summary>
    /// Writes synthetic data (12 labels tag0…tag11, 40 features) into <paramref name="dir"/> in the Extreme
    /// Classification text format, with its label names beside it; a label renamed by <paramref name="rename"/>
    /// becomes one a model never saw, and <paramref name="declaredFeatures"/> overrides the header's feature count.
    /// </summary>
    public static string WriteExtremeText(string dir, string prefix, int instances, int seed, (string From, string To)? rename = null, int? declaredFeatures = null)
    {
        var data = TrainingFixtures.Synthetic(instances, seed);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{data.Count} {declaredFeatures ?? data.Features.Columns} {data.Vocabulary.Count}\n");
        for (int r = 0; r < data.Count; r++)
        {
            text.Append(string.Join(",", data.Labels.Row(r).ToArray()));
            for (long k = data.Features.Offsets[r]; k < data.Features.Offsets[r + 1]; k++)
                text.Append(CultureInfo.InvariantCulture, $" {data.Features.Indices[(int)k]}:{data.Features.Values[(int)k]}");
            text.Append('\n');
        }
        var path = Path.Combine(dir, prefix + "_data.txt");
        File.WriteAllText(path, text.ToString());
        File.WriteAllLines(Path.Combine(dir, prefix + "_labels.txt"), data.Vocabulary.Names.Select(n => rename is { } r && n == r.From ? r.To : n));
        return path;
    }
}
