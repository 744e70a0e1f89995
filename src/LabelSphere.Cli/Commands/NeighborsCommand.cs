using System.CommandLine;
using LabelSphere.Embedding;

namespace LabelSphere.Cli.Commands;

/// <summary><c>labelsphere neighbors</c>: the labels closest to a label.</summary>
internal static class NeighborsCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("embedding") { Description = "Embedding folder written by 'labelsphere embed'" };
        var label = new Argument<string>("label") { Description = "A label of the embedding" };
        var top = Cli.TopOption();
        var command = new Command("neighbors", "List the labels closest to a label, by cosine proximity") { folder, label, top, Cli.Json };
        command.SetAction((parse, ct) => Cli.Run(parse, () =>
        {
            var embedding = LabelEmbedding.Load(parse.GetValue(folder)!);
            var name = parse.GetValue(label)!;
            var nearest = embedding.Nearest(name, Math.Min(parse.GetValue(top), embedding.LabelCount - 1));
            if (parse.GetValue(Cli.Json)) Cli.WriteJson(new { label = name, neighbors = Cli.ScoresJson(nearest) });
            else Cli.PrintScores($"closest to '{name}'", nearest);
            return Task.FromResult(0);
        }));
        return command;
    }
}
