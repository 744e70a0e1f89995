using System.Reflection;
using TorchSharp;
using Xunit.v3;

namespace LabelSphere.Tests;

/// <summary>
/// Fails a test that leaves more live TorchSharp tensors than it found: every tensor the library makes must be
/// disposed by a scope or handed out as a managed array. Tests with it run in the torch collection (serially).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class NoTensorLeaksAttribute : BeforeAfterTestAttribute
{
    [ThreadStatic] static long before;

    public override void Before(MethodInfo methodUnderTest, IXunitTest test) => before = torch.Tensor.TotalCount;

    public override void After(MethodInfo methodUnderTest, IXunitTest test)
    {
        long after = torch.Tensor.TotalCount;
        if (after > before)
            throw new InvalidOperationException($"{methodUnderTest.Name} leaked {after - before} TorchSharp tensors ({before} live before, {after} after)");
    }
}
