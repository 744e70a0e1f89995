using System.CommandLine;
using LabelSphere.Native;
using TorchSharp;

namespace LabelSphere.Cli.Commands;

/// <summary><c>labelsphere doctor</c>: checks that libtorch loads here and says how.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var command = new Command("doctor", "Check that libtorch (TorchSharp) loads on this machine, and how") { Cli.Json };
        command.SetAction((parse, ct) => Cli.Run(parse, () =>
        {
            TorchRuntime.EnsureLoaded();
            var patched = TorchRuntime.PatchedShimPath;
            var isa = TorchRuntime.OneDnnIsaLimited ? TorchRuntime.OneDnnIsa : Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA");
            var wait = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
            if (parse.GetValue(Cli.Json))
                Cli.WriteJson(new { torchLoaded = true, threads = torch.get_num_threads(), patchedShim = patched,
                                    oneDnnMaxCpuIsa = isa, oneDnnIsaSetByLabelSphere = TorchRuntime.OneDnnIsaLimited, ompWaitPolicy = wait,
                                    systemLapack = SystemLapack.Available });
            else
            {
                Console.WriteLine($"libtorch loads; {torch.get_num_threads()} threads.");
                Console.WriteLine(patched is null
                    ? "TorchSharp's native shim loaded as shipped."
                    : $"This libstdc++ lacks GLIBCXX_3.4.32; a copy of the shim with that unused requirement marked weak was loaded from {patched}.");
                Console.WriteLine(TorchRuntime.OneDnnIsaLimited
                    ? $"ONEDNN_MAX_CPU_ISA={isa} (set by LabelSphere as it was unset on this AMD processor: oneDNN's AVX-512 convolutions have given wrong gradients on one; set it yourself, e.g. to ALL, to choose)."
                    : isa is null
                        ? "ONEDNN_MAX_CPU_ISA is unset: oneDNN uses the widest instruction set this processor has (LabelSphere holds it to AVX2 only on AMD processors)."
                        : $"ONEDNN_MAX_CPU_ISA={isa}.");
                Console.WriteLine($"OMP_WAIT_POLICY={wait ?? "(unset)"}.");
                Console.WriteLine(!SystemLapack.Available
                    ? "No system LAPACK with dsyevr (Debian: apt-get install liblapack3): the exact eigensolver uses libtorch's eigh, five n × n copies (docs/scale.md)."
                    : SystemLapack.SingleAvailable
                        ? "The system's LAPACK (liblapack.so.3, dsyevr and ssyevr) is found: the exact eigensolver computes the k pairs asked for in place, " +
                          "and on a large sparse PMI in float32 refined in float64, in half the memory (docs/scale.md)."
                        : "The system's LAPACK (liblapack.so.3, dsyevr) is found: the exact eigensolver computes the k pairs asked for in place (docs/scale.md).");
            }
            return Task.FromResult(0);
        }));
        return command;
    }
}
