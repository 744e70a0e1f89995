using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;

namespace LabelSphere.Native;

/// <summary>
/// Makes TorchSharp's native shim load on Linux systems whose libstdc++ predates GLIBCXX_3.4.32
/// (Debian 12, Ubuntu 22.04), and turns a failed load into an error that says why.
/// </summary>
/// <remarks>
/// <para>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> requires GLIBCXX_3.4.32 only for
/// <c>std::ios_base_library_init()</c>, which it never calls. When the ordinary load fails, a copy of the shim
/// with that one requirement marked weak is written to a cache folder and loaded instead. Where the ordinary
/// load succeeds nothing is patched: the resolver below only runs after the runtime's own probing failed.
/// </para>
/// <para>
/// The process environment: on Linux, when the LabelSphere assembly loads on an AMD processor and
/// <c>ONEDNN_MAX_CPU_ISA</c> is not set, it is set to <see cref="OneDnnIsa"/> (AVX2), because libtorch's oneDNN has
/// computed wrong convolution gradients with its AVX-512 kernels on an AMD EPYC (<see cref="OneDnnIsa"/> says where);
/// this is a correctness workaround, whose cost is oneDNN's kernels (libtorch's convolutions among them) running as
/// AVX2, about half their AVX-512 speed. Other processors keep oneDNN's own choice, as PyTorch does: on an Intel Xeon
/// the AVX-512 gradients agree with float64 and repeat exactly (docs/benchmarks.md). A host that sets the variable
/// itself before LabelSphere loads keeps its value (<c>ALL</c> lifts every limit, <c>AVX2</c> holds any processor to
/// it); <see cref="OneDnnIsaLimited"/> says whether LabelSphere set it. Nothing else in the environment is touched
/// unless asked: <see cref="UsePassiveOpenMpWaiting"/> is an opt-in, which the <c>labelsphere</c> tool takes.
/// </para>
/// </remarks>
public static class TorchRuntime
{
    const string ShimName = "libLibTorchSharp.so";
    static readonly HashSet<string> UnusedVersions = ["GLIBCXX_3.4.32"];
    static readonly string[] TorchDependencies = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];
    static readonly Lock Gate = new();
    static int registered;
    static string? failure;
    static bool verified;

    /// <summary>Where the patched shim was written, or null when the ordinary load worked.</summary>
    public static string? PatchedShimPath { get; private set; }

    // A library module initializer is what this is for: the resolver must be in place before any caller, ours
    // or a referencing project's, first touches TorchSharp.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 1) return;
        if (!OperatingSystem.IsLinux()) return;
        LimitOneDnnIsa();
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += Resolve;
    }

    /// <summary>
    /// The instruction set oneDNN is held to on an AMD processor when the process has not chosen one: AVX2.
    /// libtorch 2.10's oneDNN returned wrong or NaN convolution gradients with its AVX-512 kernels when a channel count
    /// was not a multiple of 16 (an AMD EPYC: 399 of 400 repeated backward passes differed for 12 channels, none with
    /// ONEDNN_MAX_CPU_ISA=AVX2; see <see cref="Training.Models.ResNetOptions.Widths"/>); on an Intel Xeon none did.
    /// </summary>
    public const string OneDnnIsa = "AVX2";

    /// <summary>
    /// The limit LabelSphere sets for a processor of this CPUID vendor when the host has not chosen one:
    /// <see cref="OneDnnIsa"/> on AMD's, where the wrong gradients were seen, none (oneDNN's own choice) elsewhere.
    /// </summary>
    internal static string? DefaultOneDnnIsa(string? vendor) => vendor == "AuthenticAMD" ? OneDnnIsa : null;

    /// <summary>The processor's CPUID vendor string ("GenuineIntel", "AuthenticAMD"), or null off x86.</summary>
    internal static string? CpuVendor()
    {
        if (!X86Base.IsSupported) return null;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<byte> name = stackalloc byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(name, ebx);
        BinaryPrimitives.WriteInt32LittleEndian(name[4..], edx);
        BinaryPrimitives.WriteInt32LittleEndian(name[8..], ecx);
        return Encoding.ASCII.GetString(name);
    }

    /// <summary>Whether LabelSphere set ONEDNN_MAX_CPU_ISA to <see cref="OneDnnIsa"/> (false when the host had set it, off AMD processors, or off Linux).</summary>
    public static bool OneDnnIsaLimited { get; private set; }

    // oneDNN reads the variable from the C environment when it first runs, which Environment.SetEnvironmentVariable
    // does not reach on Linux, hence setenv. It must be in place before any caller first runs a convolution, so it is
    // set when the assembly loads rather than on first use.
    static void LimitOneDnnIsa()
    {
        try
        {
            if (Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") is not { Length: > 0 } && DefaultOneDnnIsa(CpuVendor()) is { } isa)
                OneDnnIsaLimited = SetEnv("ONEDNN_MAX_CPU_ISA", isa, 0) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: leave oneDNN to its own choice.
        }
    }

    /// <summary>
    /// Opt-in: makes libtorch's OpenMP threads wait passively (OMP_WAIT_POLICY=PASSIVE) unless the environment already
    /// names a policy; returns whether it set it. Call it at startup, before the first tensor operation: OpenMP reads
    /// the variable when libtorch loads, and the setting holds for every OpenMP user in the process.
    /// </summary>
    /// <remarks>
    /// Without it OpenMP's default applies: waiting threads spin for a while before sleeping, which is fastest on an
    /// otherwise idle machine but, on one shared with other work, made the exact eigensolver 2 to 5.7 times slower
    /// (docs/benchmarks.md). The <c>labelsphere</c> tool opts in; a library cannot know its host's load, so it does
    /// not on its own.
    /// </remarks>
    public static bool UsePassiveOpenMpWaiting()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is { Length: > 0 }) return false;
        try
        {
            if (SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0) != 0) return false;
            // Keeps the managed view in step with the C environment, for child processes and later checks.
            Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", "PASSIVE");
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    /// <summary>
    /// Loads libtorch and runs one tensor operation; throws <see cref="TorchUnavailableException"/> with the
    /// loader's own reason when that is impossible.
    /// </summary>
    public static void EnsureLoaded()
    {
        Register();
        lock (Gate)
        {
            if (verified) return;
            try
            {
                using var scope = torch.NewDisposeScope();
                if (torch.ones(2, 2).sum().item<float>() != 4f) throw new InvalidOperationException("libtorch returned a wrong sum");
                verified = true;
            }
            catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException
                                          or EntryPointNotFoundException or InvalidOperationException)
            {
                throw new TorchUnavailableException(Explain(e), e);
            }
        }
    }

    static string Explain(Exception e)
    {
        var reason = failure ?? Innermost(e).Message;
        return "libtorch (TorchSharp-cpu 0.107.0) could not be loaded: " + reason +
               (PatchedShimPath is null ? "" : $" (a patched copy of {ShimName} was tried at {PatchedShimPath})");
    }

    static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    static IntPtr Resolve(System.Reflection.Assembly assembly, string name)
    {
        if (name is not ("LibTorchSharp" or ShimName)) return IntPtr.Zero;
        lock (Gate)
        {
            try
            {
                var original = FindShim();
                if (original is null)
                {
                    failure = $"{ShimName} was not found next to the application nor in the package folders";
                    return IntPtr.Zero;
                }
                if (NativeLibrary.TryLoad(original, out var direct)) return direct;

                var bytes = File.ReadAllBytes(original);
                if (ElfVersionPatcher.MarkWeak(bytes, UnusedVersions) == 0)
                {
                    failure = LoadError(original);
                    return IntPtr.Zero;
                }
                var patched = WritePatchedCopy(bytes);
                PatchedShimPath = patched;
                PreloadDependencies(Path.GetDirectoryName(original)!);
                if (NativeLibrary.TryLoad(patched, out var handle)) return handle;
                failure = LoadError(patched);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                failure = $"preparing a patched {ShimName} failed: {e.Message}";
            }
            return IntPtr.Zero;
        }
    }

    static string LoadError(string path)
    {
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(path));
            return $"{path} loads, but TorchSharp still failed";
        }
        catch (DllNotFoundException e)
        {
            return e.Message;
        }
    }

    static IEnumerable<string> SearchDirectories()
    {
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string dirs)
            foreach (var d in dirs.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                yield return d;
        yield return AppContext.BaseDirectory;
        yield return Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        var torchDir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (!string.IsNullOrEmpty(torchDir))
        {
            yield return torchDir;
            yield return Path.Combine(torchDir, "runtimes", "linux-x64", "native");
        }
    }

    static string? FindFile(string fileName, string? preferredDirectory = null)
    {
        if (preferredDirectory is not null && File.Exists(Path.Combine(preferredDirectory, fileName)))
            return Path.Combine(preferredDirectory, fileName);
        foreach (var dir in SearchDirectories())
        {
            var path = Path.Combine(dir, fileName);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    static string? FindShim() => FindFile(ShimName);

    // The shim's RUNPATH is $ORIGIN, which the copy in the cache folder no longer shares with libtorch; loading
    // libtorch first by absolute path lets the loader match the shim's NEEDED entries by soname.
    static void PreloadDependencies(string shimDirectory)
    {
        foreach (var dependency in TorchDependencies)
            if (FindFile(dependency, shimDirectory) is { } path)
                NativeLibrary.TryLoad(path, out _);
    }

    static string WritePatchedCopy(byte[] patched)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(patched))[..16];
        var root = Environment.GetEnvironmentVariable("LABELSPHERE_NATIVE_CACHE") is { Length: > 0 } custom
            ? custom
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
                "labelsphere", "native");
        var dir = Path.Combine(root, hash);
        var target = Path.Combine(dir, ShimName);
        if (File.Exists(target) && new FileInfo(target).Length == patched.Length) return target;
        Directory.CreateDirectory(dir);
        var temp = target + "." + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(temp, patched);
        File.Move(temp, target, overwrite: true);
        return target;
    }
}

/// <summary>Thrown when libtorch cannot be loaded; the message carries the dynamic loader's reason.</summary>
public sealed class TorchUnavailableException(string message, Exception inner) : Exception(message, inner);
