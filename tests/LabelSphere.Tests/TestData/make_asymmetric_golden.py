#!/usr/bin/env python3
"""Golden values of the asymmetric loss (Ridnik et al. 2021; gamma+ 0, gamma- 4, margin 0.05) and its gradient,
computed with PyTorch autograd from the issue-13 reference (docs/scripts/heads/reference.py, asymmetric_loss).

Run from this folder with Debian's python3 and torch:
    /usr/bin/python3 make_asymmetric_golden.py > asymmetric_golden.json
The C# implementation is never consulted.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../../docs/scripts/heads'))
from reference import asymmetric_loss  # noqa: E402

# Logits from very negative (a negative below the margin adds nothing) to very positive, labels mixed.
logits = torch.tensor([[-6.0, -2.5, -0.3, 0.0, 1.2, 4.0],
                       [3.0, -1.0, 0.7, -4.5, 2.2, -0.05],
                       [0.4, 5.5, -2.9, 1.0, -0.8, -3.3]], dtype=torch.float64, requires_grad=True)
labels = torch.tensor([[0, 1, 0, 1, 0, 1],
                       [1, 0, 0, 0, 1, 0],
                       [0, 1, 1, 0, 0, 0]], dtype=torch.float64)
loss = asymmetric_loss(logits, labels, 0.0, 4.0, 0.05)
loss.backward()
json.dump({'shape': list(logits.shape), 'logits': logits.detach().flatten().tolist(), 'labels': labels.flatten().tolist(),
           'loss': loss.item(), 'gradient': logits.grad.flatten().tolist()}, sys.stdout, indent=1)
print()
