using System.Diagnostics;
using System.Runtime.InteropServices;
using LabelSphere.Native;

namespace LabelSphere.Benchmarks;

/// <summary>
/// The native settings a PyTorch peer must share with this process for a fair comparison. LabelSphere sets
/// ONEDNN_MAX_CPU_ISA in the C environment when it loads (<see cref="TorchRuntime.OneDnnIsaLimited"/>), which .NET's
/// view of the environment, and so a child process, does not see: without this the peer's oneDNN would run its AVX-512
/// kernels against LabelSphere's AVX2 ones.
/// </summary>
internal static class PeerEnvironment
{
    [DllImport("libc", EntryPoint = "getenv")]
    static extern IntPtr GetEnv(string name);

    static string? Native(string name) => Marshal.PtrToStringAnsi(GetEnv(name));

    /// <summary>Gives the child the ONEDNN_MAX_CPU_ISA and OMP_WAIT_POLICY this process's libtorch runs under.</summary>
    public static void Apply(ProcessStartInfo start)
    {
        foreach (var name in (string[])["ONEDNN_MAX_CPU_ISA", "OMP_WAIT_POLICY"])
        {
            if (Native(name) is { Length: > 0 } value) start.Environment[name] = value;
            else start.Environment.Remove(name);
        }
    }

    /// <summary>The settings, for the benchmark's log.</summary>
    public static string Describe() =>
        $"ONEDNN_MAX_CPU_ISA={Native("ONEDNN_MAX_CPU_ISA") ?? "(unset)"}{(TorchRuntime.OneDnnIsaLimited ? " set by LabelSphere" : "")}, " +
        $"OMP_WAIT_POLICY={Native("OMP_WAIT_POLICY") ?? "(unset)"}";
}
