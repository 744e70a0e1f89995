using System.CommandLine;
using LabelSphere.Cli;
using LabelSphere.Cli.Commands;
using LabelSphere.Native;

// The tool's choice for its own process, before libtorch loads: OpenMP threads that sleep while they wait instead of
// spinning (a library leaves this to its host; the oneDNN limit is the library's own default, see TorchRuntime).
TorchRuntime.UsePassiveOpenMpWaiting();

var root = new RootCommand("LabelSphere: information-theoretical label embeddings (Chollet 2016) for multi-label classification.");
root.Options.Add(Cli.Verbose);
root.Subcommands.Add(EmbedCommand.Create());
root.Subcommands.Add(NeighborsCommand.Create());
root.Subcommands.Add(ArithmeticCommand.Create());
root.Subcommands.Add(AddLabelCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
root.Subcommands.Add(FeaturesCommand.Create());
root.Subcommands.Add(ZeroShotCommand.Create());
root.Subcommands.Add(NoiseCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());
// Ctrl-C cancels the verb's token; train then checkpoints before it exits, which may take longer than the default wait.
return await Cli.Invoke(root, args, new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(5) });
