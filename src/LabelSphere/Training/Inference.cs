using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>Runs a network over every instance of a source: evaluation mode, no gradients, one dispose scope per batch.</summary>
internal static class Inference
{
    // About 32 MB of input a batch: a 224-pixel ResNet's first maps are 50 times larger than its input, so a batch
    // of 512 such images would need gigabytes; feature vectors and small images keep their batches of 512.
    const long InputValuesPerBatch = 1L << 23;

    /// <summary>The most instances of <paramref name="inputShape"/> a batch of inference takes: 512 feature vectors or 64-pixel images, 55 images of 224 pixels.</summary>
    public static int LargestBatch(long[] inputShape)
    {
        long values = 1;
        foreach (var d in inputShape) values *= Math.Max(1, d);
        return (int)Math.Clamp(InputValuesPerBatch / values, 1, int.MaxValue);
    }

    /// <summary>
    /// Calls <paramref name="onBatch"/> with each batch of <paramref name="source"/> (in instance order, never augmented)
    /// and the network's outputs for it, [batch, head outputs], in batches of <paramref name="batchSize"/> or of
    /// <see cref="LargestBatch"/> where that is smaller; tensors made inside the call are freed when it returns. The model's training mode is restored afterwards.
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
            foreach (var batch in source.Batches(order, Math.Min(batchSize, LargestBatch(source.InputShape)), augment: false, seed: 0, cancellationToken))
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
