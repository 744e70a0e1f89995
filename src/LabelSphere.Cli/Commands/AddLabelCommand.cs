using System.CommandLine;
using LabelSphere.Embedding;

namespace LabelSphere.Cli.Commands;

/// <summary><c>labelsphere add-label</c>: place a new label zero-shot from its co-occurrence counts.</summary>
internal static class AddLabelCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("embedding") { Description = "Embedding folder written by 'labelsphere embed'" };
        var name = new Option<string>("--name") { Description = "Name of the new label", Required = true };
        var counts = new Option<string>("--counts") { Description = "CSV 'label,count': the new label's own count on the row with its name, its co-occurrence with known labels on the others (docs/formats.md)", Required = true };
        var output = new Option<string>("--out") { Description = "Folder to write the extended embedding to (may be the input folder)", Required = true };
        var top = Cli.TopOption();
        var command = new Command("add-label", "Place a new label in the embedding from its co-occurrence counts, without refitting (zero-shot)")
        {
            folder, name, counts, output, top, Cli.Json,
        };
        command.SetAction((parse, ct) => Cli.Run(parse, () =>
        {
            var embedding = LabelEmbedding.Load(parse.GetValue(folder)!);
            var label = parse.GetValue(name)!.Trim();
            if (label.Length == 0) throw new ArgumentException("--name must not be empty");
            if (embedding.Vocabulary.Contains(label)) throw new ArgumentException($"label '{label}' is already in the embedding");
            var (count, co) = CooccurrenceFile.Read(parse.GetValue(counts)!, label, embedding);
            var extended = embedding.AddLabel(label, count, co);
            extended.Save(parse.GetValue(output)!);
            var nearest = extended.Nearest(label, Math.Min(parse.GetValue(top), extended.Labels - 1));
            if (parse.GetValue(Cli.Json))
                Cli.WriteJson(new { label, count, output = Path.GetFullPath(parse.GetValue(output)!), neighbors = Cli.ScoresJson(nearest) });
            else Cli.PrintScores($"'{label}' placed from {count:N0} instances; its closest labels", nearest);
            return Task.FromResult(0);
        }));
        return command;
    }
}
