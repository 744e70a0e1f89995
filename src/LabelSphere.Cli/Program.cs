using System.CommandLine;
using LabelSphere.Cli;

// Ctrl-C cancels the verb's token; train then checkpoints before it exits, which may take longer than the default wait.
return await Cli.Invoke(Cli.CreateRoot(), args, new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(5) });
