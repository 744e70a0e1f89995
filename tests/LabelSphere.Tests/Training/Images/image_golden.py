"""Writes image_golden.txt: what ImageSource should produce for two real images, computed independently with Pillow
and numpy (Debian's python3-pil 9.4 and python3-numpy 1.24):

* the emoji 0023-fe0f-20e3.png at its own 64 px: composited over white in straight alpha, v = a*c + (1-a)*255, then
  normalised as (v/255 - mean)/std with ImageNet's mean and std; per-channel means of the whole [3,64,64] input, and
  the values at a transparent, a half-transparent and an opaque pixel ('pixel x y r g b');
* the COCO photograph 000000008193.jpg (640x449) with its shorter side resized to 299 (Pillow's antialiased bicubic)
  and the centre 299x299 square taken: per-channel means only, since resampling filters differ in detail.

Run from this folder with the datasets beside the repository:
    /usr/bin/python3 image_golden.py ../../../../../shared/datasets
"""
import sys
import numpy as np
from PIL import Image

root = sys.argv[1]
mean = np.array([0.485, 0.456, 0.406])
std = np.array([0.229, 0.224, 0.225])
out = []

rgba = np.asarray(Image.open(f"{root}/emoji/images/0023-fe0f-20e3.png").convert("RGBA"), dtype=np.float64)
a = rgba[..., 3:4] / 255.0
v = a * rgba[..., :3] + (1 - a) * 255.0
x = (v / 255.0 - mean) / std  # [64, 64, 3]
out.append("emoji_mean " + " ".join(f"{m:.6f}" for m in x.mean(axis=(0, 1))))
alpha = rgba[..., 3]
for name, mask in [("transparent", alpha == 0), ("partial", (alpha > 64) & (alpha < 192)), ("opaque", alpha == 255)]:
    ys, xs = np.nonzero(mask)
    k = len(ys) // 2
    py, px = int(ys[k]), int(xs[k])
    out.append(f"pixel {px} {py} " + " ".join(f"{c:.6f}" for c in x[py, px]) + f"  # {name}, alpha {int(alpha[py, px])}")

im = Image.open(f"{root}/coco/tiny/train2017/000000008193.jpg").convert("RGB")
w, h = im.size
s = 299
nw, nh = (s, round(h * s / w)) if w < h else (round(w * s / h), s)
im = im.resize((nw, nh), Image.BICUBIC)
left, top = (nw - s) // 2, (nh - s) // 2
crop = np.asarray(im.crop((left, top, left + s, top + s)), dtype=np.float64)
y = (crop / 255.0 - mean) / std
out.append("coco_mean " + " ".join(f"{m:.6f}" for m in y.mean(axis=(0, 1))))

with open("image_golden.txt", "w") as f:
    f.write("\n".join(out) + "\n")
print("\n".join(out))
