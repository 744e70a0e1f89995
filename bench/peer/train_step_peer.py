"""The PyTorch side of bench/train_step.sh: training steps of the same models as LabelSphere's trainer on the same
files, on the same number of threads and under the same oneDNN instruction set limit (ONEDNN_MAX_CPU_ISA, which the
.NET side passes on). Started by `LabelSphere.Benchmarks train-step`, which sends JSON lines on stdin: {"start":
{"backbone", "head", "data", "batch", "hidden", "dropout", "cnn_width", "lr", "rho"}} makes a fresh model (answered
{"ready": true}), then each {"step": true} runs one training step (answered {"seconds": ...}), so that the .NET side
can alternate its steps with these one by one. The first line it prints names the versions and threads.

    /usr/bin/python3 bench/peer/train_step_peer.py --threads 2

A step is what a PyTorch user writes: the batch's rows of the inputs (index_select), its label targets from the CSR
label sets (a multi-hot [batch, N] for the sigmoid head; for the embedding head e = E.v / |E.v| summed from the rows of
E with embedding_bag, no [batch, N] tensor), forward, loss, zero_grad, backward, torch.optim.RMSprop (Keras's rho and
eps, as LabelSphere's), and the loss read back with .item(). Timed from the batch's indices to the loss.
"""
import argparse, json, os, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument('--threads', type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(args.threads)
print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'numpy': np.__version__,
                  'ONEDNN_MAX_CPU_ISA': os.environ.get('ONEDNN_MAX_CPU_ISA'), 'OMP_WAIT_POLICY': os.environ.get('OMP_WAIT_POLICY')}),
      flush=True)


def body(request, shape):
    if request['backbone'] == 'mlp':
        return nn.Sequential(nn.Linear(shape[0], request['hidden']), nn.ReLU(), nn.Dropout(request['dropout'])), request['hidden']
    w, layers, inputs = request['cnn_width'], [], shape[0]
    for block in range(3):
        outputs = w << block
        layers += [nn.Conv2d(inputs, outputs, 3, padding=1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU()]
        if block < 2:
            layers.append(nn.MaxPool2d(2))
        inputs = outputs
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(request['dropout'])]
    return nn.Sequential(*layers), inputs


def cosine_proximity(predicted, target):
    # LabelSphere's loss: -cos averaged over the rows with a label (a zero target adds nothing).
    dot = (predicted * target).sum(1)
    target_norm = target.norm(dim=1)
    norms = (predicted.norm(dim=1) * target_norm).clamp_min(1e-8)
    labelled = (target_norm > 0).to(predicted.dtype)
    return -(dot / norms * labelled).sum() / labelled.sum().clamp_min(1)


cache = {}


def load(folder):
    if folder not in cache:
        cache.clear()
        cache[folder] = (torch.from_numpy(np.load(f'{folder}/inputs.npy')), np.load(f'{folder}/offsets.npy'),
                         np.load(f'{folder}/indices.npy').astype(np.int64), torch.from_numpy(np.load(f'{folder}/vectors.npy')))
    return cache[folder]


def session(request):
    """Yields the seconds of each step of a fresh model on the request's data, one step per `next`."""
    inputs, offsets, indices, vectors = load(request['data'])
    count, labels = inputs.shape[0], vectors.shape[0]
    torch.manual_seed(0)
    net, d = body(request, tuple(inputs.shape[1:]))
    sigmoid = request['head'] == 'sigmoid'
    head = nn.Linear(d, labels if sigmoid else vectors.shape[1])
    model = nn.Sequential(net, head)
    model.train()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=request['lr'], alpha=request['rho'], eps=1e-7)
    batch = request['batch']
    rng = np.random.default_rng(0)
    order, position = rng.permutation(count), 0
    while True:
        start = time.perf_counter()
        if position + batch > count:
            order, position = rng.permutation(count), 0
        rows = order[position:position + batch]
        position += batch
        x = inputs.index_select(0, torch.from_numpy(rows))
        first, last = offsets[rows], offsets[rows + 1]
        lengths = last - first
        ids = indices[np.repeat(first - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())]
        if sigmoid:
            y = torch.zeros(len(rows), labels)
            y[torch.from_numpy(np.repeat(np.arange(len(rows)), lengths)), torch.from_numpy(ids)] = 1
        else:
            bag_offsets = torch.from_numpy(np.concatenate(([0], np.cumsum(lengths)[:-1])))
            y = F.normalize(F.embedding_bag(torch.from_numpy(ids), vectors, bag_offsets, mode='sum'), p=2, dim=1)
        optimizer.zero_grad()
        outputs = model(x)
        loss = F.binary_cross_entropy_with_logits(outputs, y) if sigmoid else cosine_proximity(outputs, y)
        loss.backward()
        optimizer.step()
        loss.item()
        yield time.perf_counter() - start


# A line {"start": request} makes a fresh model and answers {"ready": true}; each line {"step": true} then runs one
# step and answers {"seconds": s}.
steps = None
for line in sys.stdin:
    if not line.strip():
        continue
    message = json.loads(line)
    if 'start' in message:
        steps = session(message['start'])
        print(json.dumps({'ready': True}), flush=True)
    else:
        print(json.dumps({'seconds': next(steps)}), flush=True)
