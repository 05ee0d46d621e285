"""uint8 images resized as a torchvision v2 pipeline resizes decoded images.

`torchvision.io.decode_image` gives uint8 tensors, and `v2.Resize` /
`v2.RandomResizedCrop` resize them in uint8 before `v2.ToDtype(float32,
scale=True)`: bicubic on every CPU, bilinear only where torchvision sees
AVX2/AVX512 or ARM (elsewhere it converts to float first), so the pipeline
here is bicubic and the bilinear resizes call `F.interpolate` on the bytes
(what torchvision does on those CPUs), which keeps the trace the same on
every machine. The antialiased resizes run `_upsample_bilinear2d_aa` /
`_upsample_bicubic2d_aa` on a Byte tensor, `antialias=False` runs
`upsample_bilinear2d` / `upsample_bicubic2d`. PyTorch computes these in integers: weights in
double scaled to 16-bit fixed point, `(2^(p-1) + sum w x) >> p` clamped to
0..255, width pass then height pass, each stored as bytes. A small CNN
trains three SGD steps on the augmented batch; then single-channel masks
and RGBA images, a channels-last batch, align_corners, a scale factor, an
upscale (bicubic overshoot clamps), and a 1-d uint8 linear resize refused
with PyTorch's "not implemented for 'Byte'".
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.transforms import InterpolationMode, v2

torch.manual_seed(0)

train_tf = v2.Compose(
    [
        v2.RandomResizedCrop((12, 12), scale=(0.4, 1.0), interpolation=InterpolationMode.BICUBIC, antialias=True),
        v2.RandomHorizontalFlip(),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ]
)
eval_tf = v2.Compose(
    [
        v2.Resize(14, interpolation=InterpolationMode.BICUBIC, antialias=True),
        v2.CenterCrop(12),
        v2.ToDtype(torch.float32, scale=True),
    ]
)

model = nn.Sequential(
    nn.Conv2d(3, 6, 3, padding=1),
    nn.BatchNorm2d(6),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(6, 8, 3, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(8, 3),
)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

decoded = torch.randint(0, 256, (6, 3, 21, 17), dtype=torch.uint8)
labels = torch.randint(0, 3, (6,))
for step in range(3):
    idx = torch.randperm(6)[:4]
    crops = [train_tf(decoded[i]) for i in idx.tolist()]
    # A bilinear thumbnail of each image (torchvision's AVX2 bilinear path).
    thumbs = F.interpolate(decoded[idx], size=(12, 12), mode="bilinear", antialias=True)
    batch = torch.stack(crops) + 0.1 * v2.functional.to_dtype(thumbs, torch.float32, scale=True)
    loss = F.cross_entropy(model(batch), labels[idx])
    opt.zero_grad()
    loss.backward()
    opt.step()

model.eval()
with torch.no_grad():
    val = torch.stack([eval_tf(img) for img in decoded[:2]])
    preds = model(val).argmax(1)

# Segmentation masks and RGBA sprites, resized without and with antialias.
mask = torch.randint(0, 256, (2, 1, 15, 11), dtype=torch.uint8)
mask_small = F.interpolate(mask, size=(7, 5), mode="bilinear", antialias=False)
mask_aa = F.interpolate(mask, size=(7, 5), mode="bilinear", antialias=True)
rgba = torch.randint(0, 256, (1, 4, 9, 10), dtype=torch.uint8)
rgba_up = F.interpolate(rgba, size=(16, 23), mode="bicubic", antialias=False)
rgba_up_aa = F.interpolate(rgba, size=(16, 23), mode="bicubic", antialias=True)
# A channels-last batch, align_corners, a scale factor, one unchanged axis.
cl = decoded[:2].contiguous(memory_format=torch.channels_last)
cl_small = F.interpolate(cl, size=(10, 9), mode="bilinear", antialias=True)
corners = F.interpolate(decoded[:1], size=(13, 29), mode="bilinear", align_corners=True)
cubic_corners = F.interpolate(decoded[:1], size=(8, 6), mode="bicubic", align_corners=True)
scaled = F.interpolate(decoded[:1], scale_factor=0.6, mode="bilinear", antialias=True)
width_only = F.interpolate(decoded[:1], size=(21, 8), mode="bicubic", antialias=True)
stats = (mask_small.float().mean(), rgba_up.float().std(), cl_small.is_contiguous(memory_format=torch.channels_last))

try:
    F.interpolate(torch.randint(0, 256, (1, 2, 9), dtype=torch.uint8), size=5, mode="linear")
except NotImplementedError as err:
    refused = str(err)
