using System.CommandLine;
using LabelSphere.Embedding;

namespace LabelSphere.Cli.Commands;

/// <summary><c>labelsphere arithmetic</c>: the labels closest to sums and differences of labels.</summary>
internal static class ArithmeticCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("embedding") { Description = "Embedding folder written by 'labelsphere embed'" };
        var expression = new Argument<string>("expression") { Description = "Labels joined by ' + ' or ' - ', e.g. \"man + horse\"" };
        var top = Cli.TopOption();
        var command = new Command("arithmetic", "List the labels closest to a sum of labels (concept arithmetic)") { folder, expression, top, Cli.Json };
        command.SetAction((parse, ct) => Cli.Run(parse, () =>
        {
            var embedding = LabelEmbedding.Load(parse.GetValue(folder)!);
            var text = parse.GetValue(expression)!;
            var result = embedding.Arithmetic(text, Math.Min(parse.GetValue(top), embedding.LabelCount));
            if (parse.GetValue(Cli.Json))
                Cli.WriteJson(new
                {
                    expression = text,
                    terms = result.Terms.Select(t => new { sign = t.Sign > 0 ? "+" : "-", label = t.Label }),
                    nearest = Cli.ScoresJson(result.Nearest),
                });
            else Cli.PrintScores($"closest to {text}", result.Nearest);
            return Task.FromResult(0);
        }));
        return command;
    }
}
