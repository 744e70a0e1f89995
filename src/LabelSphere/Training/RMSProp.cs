using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>
/// TorchSharp's RMSprop step with its constants held as <see cref="Scalar"/>s that live through the whole step.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's own step converts each constant (ρ, 1 − ρ, ε, −lr) to a temporary Scalar per parameter and reads
/// only its native handle. Nothing keeps the temporary alive during the native call, so a garbage collection started by
/// another thread can finalize it, and free the native scalar, while libtorch still reads it: the step then fails with
/// "Unknown scalar type" or a failed toFloat check (dotnet/TorchSharp pull requests 1434 and 1496). Here each constant
/// is made once per step and disposed after the last parameter, which keeps it reachable until then.
/// The class keeps the name RMSProp and the base class's state, so checkpoints written by either load in the other.
/// </remarks>
internal sealed class RMSProp : TorchSharp.Modules.RMSProp
{
    public RMSProp(IEnumerable<TorchSharp.Modules.Parameter> parameters, double lr, double alpha, double eps, double weightDecay)
        : base(parameters, lr, alpha, eps, weightDecay)
    {
    }

    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        if (options.maximize == true || options.centered == true || options.momentum is > 0)
            throw new NotSupportedException("this RMSprop step implements neither maximize, centered nor momentum");
        double weightDecay = options.weight_decay!.Value;
        using Scalar rho = options.alpha!.Value, rest = 1 - options.alpha.Value, eps = options.eps!.Value;
        using Scalar decay = weightDecay, rate = -options.LearningRate!.Value, one = 1;
        foreach (var parameter in group.Parameters)
        {
            var grad = parameter.grad;
            if (grad is null) continue;
            var state = (State)_state[parameter.Handle];
            state.step += 1;
            // The temporaries are each a parameter's size (the sigmoid head's weight is d·N floats): freed at once
            // rather than with the batch's dispose scope, so that they do not all live until the step ends.
            using var decayed = weightDecay != 0 ? grad.add(parameter, decay) : null;
            if (decayed is not null) grad = decayed;
            state.square_avg.mul_(rho).addcmul_(grad, grad, rest);
            // alpha given explicitly: a clean-clone run once failed in add_(Tensor, Scalar, Scalar) converting a Scalar
            // ("Expected false to be true" in toFloat), as if the alpha TorchSharp builds for add_(eps) had been freed.
            using var average = state.square_avg.sqrt().add_(eps, one);
            parameter.addcdiv_(grad, average, rate);
        }
    }, closure);
}
