using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>Runs a network over every instance of a source: evaluation mode, no gradients, one dispose scope per batch.</summary>
internal static class Inference
{
    /// <summary>
    /// Calls <paramref name="onBatch"/> with each batch of <paramref name="source"/> (in instance order, never augmented)
    /// and the network's outputs for it, [batch, head outputs]; tensors made inside the call are freed when it
    /// returns. The model's training mode is restored afterwards.
    /// </summary>
    public static void ForEachBatch(LabelModel model, IInstanceSource source, Device device, int batchSize, Action<InstanceBatch, Tensor> onBatch,
                                    CancellationToken cancellationToken = default)
    {
        bool training = model.training;
        model.eval();
        try
        {
            using var guard = no_grad();
            var order = Enumerable.Range(0, source.Count).ToArray();
            foreach (var batch in source.Batches(order, batchSize, augment: false, seed: 0, cancellationToken))
            {
                using var scope = NewDisposeScope();
                onBatch(batch, model.forward(tensor(batch.Inputs, batch.Shape).to(device)));
            }
        }
        finally
        {
            model.train(training);
        }
    }
}
