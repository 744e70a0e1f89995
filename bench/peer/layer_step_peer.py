"""The PyTorch side of `LabelSphere.Benchmarks layer-step` (bench/layer_step.sh): forward and backward of one layer of the
small CNN at a time, on the same shapes and threads as the .NET side. Reads JSON lines on stdin, each
{"kind": "conv"|"norm"|"relu"|"pool"|"gap", "inputs": C, "outputs": C', "side": S, "batch": B, "reps": R,
"channels_last": bool, "input_grad": bool} and answers {"forward": [ms...], "backward": [ms...]}, one entry per rep after
one warm-up. The first line it prints names the versions, threads and the oneDNN settings it runs under.

    /usr/bin/python3 bench/peer/layer_step_peer.py --threads 2
"""
import argparse, json, os, sys, time
import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument('--threads', type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(args.threads)
print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'mkldnn': torch.backends.mkldnn.is_available(),
                  'ONEDNN_MAX_CPU_ISA': os.environ.get('ONEDNN_MAX_CPU_ISA'), 'OMP_WAIT_POLICY': os.environ.get('OMP_WAIT_POLICY')}),
      flush=True)


def layer(request):
    kind, c, c2 = request['kind'], request['inputs'], request['outputs']
    if kind == 'conv':
        return nn.Conv2d(c, c2, 3, padding=1, bias=False)
    if kind == 'norm':
        return nn.BatchNorm2d(c)
    if kind == 'relu':
        return nn.ReLU()
    if kind == 'pool':
        return nn.MaxPool2d(2)
    return nn.AdaptiveAvgPool2d(1)


def measure(request):
    torch.manual_seed(0)
    module = layer(request)
    module.train()
    source = torch.randn(request['batch'], request['inputs'], request['side'], request['side'])
    if request['channels_last']:
        source = source.contiguous(memory_format=torch.channels_last)   # the input only, as the .NET side can
    forward, backward = [], []
    for rep in range(request['reps'] + 1):
        module.zero_grad(set_to_none=True)
        # A fresh leaf each pass: its gradient is written, not added to an earlier one, as inside the network.
        x = source.detach().requires_grad_(request['input_grad'])
        start = time.perf_counter()
        y = module(x)
        middle = time.perf_counter()
        gradient = torch.ones_like(y)
        resume = time.perf_counter()
        y.backward(gradient)
        end = time.perf_counter()
        if rep > 0:
            forward.append((middle - start) * 1e3)
            backward.append((end - resume) * 1e3)
    return {'forward': forward, 'backward': backward}


for line in sys.stdin:
    if line.strip():
        print(json.dumps(measure(json.loads(line))), flush=True)
