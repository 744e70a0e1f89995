using System.CommandLine;
using LabelSphere.Cli;
using LabelSphere.Cli.Commands;
using LabelSphere.Native;

// The tool's choice for its own process, before libtorch loads: OpenMP threads that sleep while they wait instead of
// spinning (a library leaves this to its host; the oneDNN limit is the library's own default, see TorchRuntime).
TorchRuntime.UsePassiveOpenMpWaiting();

// Under mpirun each rank's standard output is a pseudo-terminal that mpirun forwards as lines: .NET would write its
// terminal set-up codes into it (before --json's JSON) and Spectre would draw live progress, so it is a plain stream.
if (Mpi.Launched) Environment.SetEnvironmentVariable("TERM", "dumb");

// Ctrl-C cancels the verb's token; train then checkpoints before it exits, which may take longer than the default wait.
return await Cli.Invoke(Cli.CreateRoot(), args, new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(5) });
