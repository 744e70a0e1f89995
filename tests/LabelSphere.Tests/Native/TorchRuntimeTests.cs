using LabelSphere.Native;
using TorchSharp;

namespace LabelSphere.Tests.Native;

[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class TorchRuntimeTests
{
    [Fact]
    public void A_tensor_operation_runs_after_the_runtime_is_loaded()
    {
        // Given libtorch loaded the way every LabelSphere entry point loads it
        TorchRuntime.EnsureLoaded();

        // When a small matrix product runs
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var product = a.matmul(a);

        // Then it gives the product computed by hand
        Assert.Equal([7f, 10f, 15f, 22f], product.data<float>().ToArray());
    }

    [Fact]
    public void Marking_a_version_weak_changes_only_that_requirement()
    {
        // Given the shim TorchSharp ships
        var shim = Directory.EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).FirstOrDefault();
        Assert.NotNull(shim);
        var bytes = File.ReadAllBytes(shim);
        var before = ElfVersionPatcher.ListRequirements(bytes);

        // When GLIBCXX_3.4.32 is marked weak
        var changed = ElfVersionPatcher.MarkWeak(bytes, new HashSet<string> { "GLIBCXX_3.4.32" });

        // Then exactly that entry is weak and every other requirement is as it was
        var after = ElfVersionPatcher.ListRequirements(bytes);
        Assert.Equal(1, changed);
        Assert.Equal(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].Version, after[i].Version);
            Assert.Equal(before[i].Weak || before[i].Version == "GLIBCXX_3.4.32", after[i].Weak);
        }
    }

    [Fact]
    public void A_file_that_is_not_elf_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.ListRequirements("not an elf file at all, just some text here padding it out to sixty-four bytes"u8.ToArray()));
    }
}

public sealed class OneDnnIsaTests
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getenv")]
    static extern IntPtr GetEnv(string name);

    [Fact]
    public void OneDnn_is_held_to_AVX2_in_the_C_environment_unless_the_user_chose()
    {
        // Given the library loaded (its module initializer runs first)
        TorchRuntime.EnsureLoaded();

        // Then the C environment that oneDNN reads names an ISA: ours, or the one the user set before starting
        var value = System.Runtime.InteropServices.Marshal.PtrToStringAnsi(GetEnv("ONEDNN_MAX_CPU_ISA"));
        Assert.Equal(Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? TorchRuntime.OneDnnIsa, value);
        Assert.Equal(Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") is null, TorchRuntime.OneDnnIsaLimited);
    }

    [Fact]
    public void The_OpenMP_wait_policy_is_left_to_the_host_until_it_opts_in()
    {
        // Given the library loaded and libtorch running, and whatever the test process was started with
        TorchRuntime.EnsureLoaded();
        var started = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");

        // Then loading changed nothing in the C environment that OpenMP reads
        Assert.Equal(started, System.Runtime.InteropServices.Marshal.PtrToStringAnsi(GetEnv("OMP_WAIT_POLICY")));

        // When the host opts in
        bool set = TorchRuntime.UsePassiveOpenMpWaiting();

        // Then the policy is passive, unless the host had chosen one, which stays
        Assert.Equal(started is null, set);
        Assert.Equal(started ?? "PASSIVE", System.Runtime.InteropServices.Marshal.PtrToStringAnsi(GetEnv("OMP_WAIT_POLICY")));
        Assert.Equal(started ?? "PASSIVE", Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"));
    }
}
