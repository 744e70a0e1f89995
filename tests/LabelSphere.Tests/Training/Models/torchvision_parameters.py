"""Writes the golden parameter lists the model tests compare against: every learnable parameter of torchvision's
inception_v3 (without the auxiliary classifier and fc) and resnet18 (without fc), as 'name dim,dim,...' in
registration order, with the total on the last line.

Run with Debian's packages (apt-get install python3-torchvision; torchvision 0.14.1, torch 1.13.0):
    /usr/bin/python3 torchvision_parameters.py
"""
import torchvision
from torchvision.models import inception_v3, resnet18


def write(path, model, drop):
    total = 0
    with open(path, "w") as f:
        for name, p in model.named_parameters():
            if name.split(".")[0] in drop:
                continue
            f.write(f"{name} {','.join(str(d) for d in p.shape)}\n")
            total += p.numel()
        f.write(f"total {total}\n")
    print(path, total)


print("torchvision", torchvision.__version__)
write("inception_v3_parameters.txt", inception_v3(weights=None, aux_logits=False, init_weights=False), {"fc"})
write("resnet18_parameters.txt", resnet18(weights=None), {"fc"})
