using System.CommandLine;
using LabelSphere.Embedding;
using LabelSphere.Training;

namespace LabelSphere.Cli.Commands;

/// <summary><c>labelsphere add-label</c>: place a new label zero-shot from its co-occurrence counts.</summary>
internal static class AddLabelCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("embedding") { Description = "Embedding folder written by 'labelsphere embed', or a model folder written by 'labelsphere train' (its embedding is extended, so the model can predict the new label)" };
        var name = new Option<string>("--name") { Description = "Name of the new label", Required = true };
        var counts = new Option<string>("--counts") { Description = "CSV 'label,count': the new label's own count on the row with its name, its co-occurrence with known labels on the others (docs/formats.md)", Required = true };
        var output = new Option<string>("--out") { Description = "Folder to write the extended embedding (or model) to; the input folder itself with --overwrite", Required = true };
        var top = Cli.TopOption();
        var command = new Command("add-label", "Place a new label in the embedding from its co-occurrence counts, without refitting (zero-shot)")
        {
            folder, name, counts, output, top, OutputArguments.Overwrite, Cli.Json,
        };
        command.SetAction((parse, ct) => Cli.Run(parse, () =>
        {
            var input = parse.GetValue(folder)!;
            var modelFolder = ModelFolder.Find(input);
            ModelManifest? manifest = modelFolder is null ? null : ModelFolder.ReadManifest(modelFolder);
            var embedding = modelFolder is null ? LabelEmbedding.Load(input)
                : ModelFolder.ReadEmbedding(modelFolder, manifest!) ?? throw new ArgumentException($"{modelFolder}: the model has no embedding to extend");
            var label = parse.GetValue(name)!.Trim();
            if (label.Length == 0) throw new UsageException("--name must not be empty");
            if (embedding.Vocabulary.Contains(label)) throw new ArgumentException($"label '{label}' is already in the embedding");
            var (count, co) = CooccurrenceFile.Read(parse.GetValue(counts)!, label, embedding);
            var extended = embedding.AddLabel(label, count, co);
            var target = parse.GetValue(output)!;
            // The input folder may be rewritten in place (with --overwrite); a folder that holds it or the counts may not.
            var rules = OutputArguments.Options(parse, input, parse.GetValue(counts));
            if (modelFolder is null) extended.Save(target, rules);
            else
            {
                // A train --out folder names its model/ subfolder; writing "to the input folder" means to that model.
                if (Path.GetFullPath(target).TrimEnd(Path.DirectorySeparatorChar) == Path.GetFullPath(input).TrimEnd(Path.DirectorySeparatorChar)) target = modelFolder;
                ModelFolder.ReplaceEmbedding(modelFolder, extended, target, rules);
            }
            var nearest = extended.Nearest(label, Math.Min(parse.GetValue(top), extended.LabelCount - 1));
            if (parse.GetValue(Cli.Json))
                Cli.WriteJson(new { label, count, output = Path.GetFullPath(target), neighbors = Cli.ScoresJson(nearest) });
            else Cli.PrintScores($"'{label}' placed from {count:N0} instances; its closest labels", nearest);
            return Task.FromResult(0);
        }));
        return command;
    }
}
