"""Writes torchvision-fixtures.bin: inputs and torchvision outputs for ImageOpsTorchvisionTest.

Run with torch + torchvision (made with torch 2.11.0, torchvision 0.26.0, CPU float32):
    python make_torchvision_fixtures.py OUT_DIR
Format (big-endian): int count, then per case: UTF name, int nparams, nparams doubles,
int rank, rank ints, floats (input), int rank, rank ints, floats (expected output).
"""
import struct
import sys

import torch
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode

g = torch.Generator().manual_seed(20240611)


def image(shape, quantized=False):
    x = torch.rand(shape, generator=g)
    if quantized:  # ties between channels and flat (gray) pixels exercise every HSV branch
        x = torch.floor(x * 5) / 4
        x = x.clamp(0, 1)
        flat = torch.rand(shape[:-3] + (1,) + shape[-2:], generator=g) < 0.2
        x = torch.where(flat, x[..., :1, :, :].expand_as(x), x)
    return x


cases = []


def add(name, params, x, y):
    cases.append((name, [float(p) for p in params], x.contiguous(), y.contiguous()))


for shape in [(3, 7, 9), (2, 3, 6, 5), (1, 8, 6)]:
    x = image(shape)
    add("hflip", [], x, F.hflip(x))
    add("grayscale", [], x, F.rgb_to_grayscale(x, 3) if x.shape[-3] == 3 else x)
    for t, l, h, w, oh, ow in [(0, 0, shape[-2], shape[-1], 11, 13), (1, 2, 4, 3, 9, 5),
                               (2, 1, 3, 4, 2, 3), (0, 1, 5, 3, 5, 3), (1, 0, 2, 2, 7, 4)]:
        y = F.resized_crop(x, t, l, h, w, [oh, ow], InterpolationMode.BILINEAR, antialias=False)
        add("resizedCrop", [t, l, h, w, oh, ow], x, y)
    for f in [0.0, 0.35, 1.0, 1.8]:
        add("brightness", [f], x, F.adjust_brightness(x, f))
        add("contrast", [f], x, F.adjust_contrast(x, f))
        add("saturation", [f], x, F.adjust_saturation(x, f))
    for k, s in [(3, 0.5), (5, 1.3), (5, 0.1), (1, 1.0)]:
        add("gaussianBlur", [k, s], x, F.gaussian_blur(x, [k, k], [s, s]))
    for t in [0.5, 0.3]:
        add("solarize", [t], x, F.solarize(x, t))

for shape in [(3, 9, 8), (2, 3, 5, 6), (1, 5, 5)]:
    for q in [False, True]:
        x = image(shape, quantized=q)
        for d in [-0.5, -0.21, 0.0, 0.13, 0.5]:
            add("hue", [d], x, F.adjust_hue(x, d))
        if shape[-3] == 3:
            add("contrast", [0.6], x, F.adjust_contrast(x, 0.6))
            add("saturation", [1.4], x, F.adjust_saturation(x, 1.4))

out = sys.argv[1] + "/torchvision-fixtures.bin"
with open(out, "wb") as fh:
    fh.write(struct.pack(">i", len(cases)))
    for name, params, x, y in cases:
        b = name.encode()
        fh.write(struct.pack(">H", len(b)) + b)
        fh.write(struct.pack(">i", len(params)))
        fh.write(struct.pack(">%dd" % len(params), *params))
        for t in (x, y):
            fh.write(struct.pack(">i", t.dim()))
            fh.write(struct.pack(">%di" % t.dim(), *t.shape))
            fh.write(struct.pack(">%df" % t.numel(), *t.flatten().tolist()))
print(len(cases), "cases written to", out)
