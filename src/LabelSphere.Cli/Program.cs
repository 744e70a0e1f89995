using System.CommandLine;
using LabelSphere.Cli;
using LabelSphere.Cli.Commands;
using LabelSphere.Native;

// The tool's choice for its own process, before libtorch loads: OpenMP threads that sleep while they wait instead of
// spinning (a library leaves this to its host; the oneDNN limit is the library's own default, see TorchRuntime).
TorchRuntime.UsePassiveOpenMpWaiting();

// Ctrl-C cancels the verb's token; train then checkpoints before it exits, which may take longer than the default wait.
return await Cli.Invoke(Cli.CreateRoot(), args, new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(5) });
