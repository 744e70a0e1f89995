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
    public void OneDnn_is_held_to_AVX2_in_the_C_environment_on_AMD_processors_unless_the_user_chose()
    {
        // Given the library loaded (its module initializer runs first) on this machine's processor
        TorchRuntime.EnsureLoaded();
        var chosen = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA");
        var ours = TorchRuntime.DefaultOneDnnIsa(TorchRuntime.CpuVendor());

        // Then the C environment that oneDNN reads names the ISA the user set before starting, else AVX2 on an AMD
        // processor, else none (oneDNN's own choice)
        var value = System.Runtime.InteropServices.Marshal.PtrToStringAnsi(GetEnv("ONEDNN_MAX_CPU_ISA"));
        Assert.Equal(chosen ?? ours, value);
        Assert.Equal(chosen is null && ours is not null, TorchRuntime.OneDnnIsaLimited);
    }

    [Theory]
    [InlineData("AuthenticAMD", TorchRuntime.OneDnnIsa)]
    [InlineData("GenuineIntel", null)]
    [InlineData(null, null)]
    public void Only_AMD_processors_where_AVX_512_gradients_went_wrong_are_held_to_AVX2(string? vendor, string? isa)
    {
        // When the default limit is asked for a processor vendor (null: not x86)
        // Then AMD's get AVX2 and every other keeps oneDNN's own choice
        Assert.Equal(isa, TorchRuntime.DefaultOneDnnIsa(vendor));
    }

    [Fact]
    public void The_processor_vendor_is_the_one_the_kernel_reports()
    {
        // Given the vendor the kernel read from CPUID (x86 Linux only)
        var line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("vendor_id", StringComparison.Ordinal)) : null;
        if (line is null) Assert.Skip("no vendor_id in /proc/cpuinfo (not x86 Linux)");

        // Then ours, read from CPUID directly, is the same
        Assert.Equal(line.Split(':')[1].Trim(), TorchRuntime.CpuVendor());
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

/// <summary>
/// The condition the oneDNN limit rests on (<see cref="TorchRuntime.DefaultOneDnnIsa"/>): under whatever instruction set
/// this process's oneDNN runs, convolution gradients for channel counts that are not multiples of 16 agree with a float64
/// computation and repeat exactly. An AVX-512 machine where they do not (the AMD EPYC the limit is for) fails here
/// when the limit is lifted.
/// </summary>
[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class OneDnnConvolutionTests
{
    [Theory]
    [InlineData(3, 12)]
    [InlineData(12, 12)]
    [InlineData(12, 24)]
    [InlineData(20, 36)]
    public void Convolution_gradients_agree_with_float64_and_repeat_exactly(int inputs, int outputs)
    {
        // Given a 3×3 convolution on 16 images of 24×24 and an upstream gradient, and their float64 gradients (libtorch's
        // own kernels: oneDNN computes only float32 here)
        TorchRuntime.EnsureLoaded();
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(11);
        var x = torch.randn([16, inputs, 24, 24], dtype: torch.float64, generator: generator);
        var w = torch.randn([outputs, inputs, 3, 3], dtype: torch.float64, generator: generator) * 0.1;
        var g = torch.randn([16, outputs, 24, 24], dtype: torch.float64, generator: generator);
        var (referenceX, referenceW) = Gradients(x, w, g);

        // When the float32 gradients are computed ten times
        var first = Gradients(x.to(torch.float32), w.to(torch.float32), g.to(torch.float32));
        for (int pass = 0; pass < 10; pass++)
        {
            var (dx, dw) = pass == 0 ? first : Gradients(x.to(torch.float32), w.to(torch.float32), g.to(torch.float32));

            // Then each agrees with float64 to float32 rounding, and each pass gives the first pass's bits
            Assert.True(RelativeError(dx, referenceX) < 1e-5, $"pass {pass}: input gradient off by {RelativeError(dx, referenceX):E1} of its largest entry");
            Assert.True(RelativeError(dw, referenceW) < 1e-4, $"pass {pass}: weight gradient off by {RelativeError(dw, referenceW):E1} of its largest entry");
            Assert.True(dx.equal(first.X).all().item<bool>(), $"pass {pass}: the input gradient differs from the first pass's");
            Assert.True(dw.equal(first.W).all().item<bool>(), $"pass {pass}: the weight gradient differs from the first pass's");
        }
    }

    static (torch.Tensor X, torch.Tensor W) Gradients(torch.Tensor x, torch.Tensor w, torch.Tensor upstream)
    {
        var input = x.detach().requires_grad_(true);
        var weight = w.detach().requires_grad_(true);
        torch.nn.functional.conv2d(input, weight, padding: [1, 1]).backward([upstream]);
        return (input.grad!.detach(), weight.grad!.detach());
    }

    static double RelativeError(torch.Tensor value, torch.Tensor reference) =>
        (value.to(torch.float64) - reference).abs().max().item<double>() / reference.abs().max().item<double>();
}
