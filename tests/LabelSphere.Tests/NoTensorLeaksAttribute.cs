using System.Reflection;
using TorchSharp;
using Xunit.v3;

namespace LabelSphere.Tests;

/// <summary>
/// Fails a test that leaves more live TorchSharp tensors than it found: every tensor the library makes must be
/// disposed by a scope or handed out as a managed array. Tests with it run in the torch collection (serially).
/// </summary>
/// <remarks>
/// TorchSharp counts the tensor a parameter is made from as live for good: its handle moves into the parameter and
/// neither dispose nor finalizer lowers the count again. Building a network therefore raises the count by a fixed
/// amount that no code can take back; a test that builds networks measures that amount with
/// <see cref="AllowConstruction"/>, and only tensors beyond it count as leaks.
/// </remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class NoTensorLeaksAttribute : BeforeAfterTestAttribute
{
    [ThreadStatic] static long before;
    static long allowance;

    public override void Before(MethodInfo methodUnderTest, IXunitTest test)
    {
        Interlocked.Exchange(ref allowance, 0);
        before = torch.Tensor.TotalCount;
    }

    public override void After(MethodInfo methodUnderTest, IXunitTest test)
    {
        long after = torch.Tensor.TotalCount, allowed = Interlocked.Read(ref allowance);
        if (after > before + allowed)
            throw new InvalidOperationException($"{methodUnderTest.Name} leaked {after - before - allowed} TorchSharp tensors ({before} live before, {after} after, {allowed} allowed for networks built)");
    }

    /// <summary>
    /// Measures what building (and disposing) one network with <paramref name="build"/> leaves counted, and allows
    /// that for <paramref name="networks"/> networks the test builds besides this measuring one.
    /// </summary>
    public static void AllowConstruction(int networks, Func<IDisposable> build)
    {
        long start = torch.Tensor.TotalCount;
        build().Dispose();
        long each = torch.Tensor.TotalCount - start;
        Interlocked.Add(ref allowance, each * (networks + 1));
    }
}
