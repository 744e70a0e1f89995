"""Images per second of torchvision's ResNet on 224x224 batches (random weights, evaluation mode, no gradients):
the PyTorch side of bench/extract.sh. Prints the same TSV lines as `LabelSphere.Benchmarks extract`.

    /usr/bin/python3 bench/peer/resnet_peer.py [--threads 2] [--batches 1,16] [--seconds 20]

Two networks: torchvision's resnet18 ([2, 2, 2, 2] basic blocks) and the same architecture with ML.NET's layout
([2, 2, 2, 3], the layout of ResNet18.onnx that ONNX Runtime and the TorchSharp import run).
"""
import argparse, time
import torch
from torchvision.models.resnet import ResNet, BasicBlock

parser = argparse.ArgumentParser()
parser.add_argument('--threads', type=int, default=2)
parser.add_argument('--batches', default='1,16')
parser.add_argument('--seconds', type=float, default=20)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
networks = {'pytorch-resnet18': ResNet(BasicBlock, [2, 2, 2, 2]), 'pytorch-2223': ResNet(BasicBlock, [2, 2, 2, 3])}
for net in networks.values():
    net.fc = torch.nn.Identity()  # the 512 pooled features, as ResNet18.onnx's output
    net.eval()

print('engine\tbatch\tthreads\timages_per_second\tbatches_timed\tseconds')
with torch.no_grad():
    for batch in (int(b) for b in args.batches.split(',')):
        x = torch.rand(batch, 3, 224, 224) * 255 - 120
        for name, net in networks.items():
            net(x); net(x)
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < args.seconds or count < 3:
                net(x).numpy()
                count += 1
            elapsed = time.perf_counter() - start
            print(f'{name}\t{batch}\t{args.threads}\t{count * batch / elapsed:.2f}\t{count}\t{elapsed:.1f}', flush=True)
