using System.CommandLine;
using LabelSphere.Cli;
using LabelSphere.Cli.Commands;

var root = new RootCommand("LabelSphere: information-theoretical label embeddings (Chollet 2016) for multi-label classification.");
root.Options.Add(Cli.Verbose);
root.Subcommands.Add(EmbedCommand.Create());
root.Subcommands.Add(NeighborsCommand.Create());
root.Subcommands.Add(ArithmeticCommand.Create());
root.Subcommands.Add(AddLabelCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());
return await root.Parse(args).InvokeAsync();
