"""An image-folder dataset read with torchvision.io, as the v2 transforms docs suggest.

Each sample is a PNG file on disk: `read_image(path)` runs `image.read_file`
(the file's bytes as a uint8 tensor; replay takes them from the trace, the
file is the recording machine's) and `image.decode_image`, which sees the PNG
signature and decodes as torchvision drives libpng. The folder mixes what
PNG writers produce: RGB with adaptive scanline filters (Sub, Up, Average,
Paeth), RGBA, 8-bit gray, palettes with and without `tRNS`, 1/2/4-bit gray,
and an Adam7-interlaced file written by a small encoder below (rows
cycling through all five filters). Images are
read in every mode (UNCHANGED keeps palette indices, GRAY converts RGB in
libpng's fixed point, GRAY_ALPHA / RGB_ALPHA add an opaque alpha, RGB drops
it), also through `decode_png` on bytes from `read_file`; a v2 pipeline
augments them and a small CNN trains three SGD steps. Paths are relative to
a temporary working directory so the trace is the same on every machine.
"""

import os
import struct
import tempfile
import zlib

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.io import ImageReadMode, decode_image, decode_png, read_file, read_image
from torchvision.transforms import v2


def write_interlaced_png(path, rgb):
    """An Adam7 RGB PNG whose rows cycle through the five scanline filters."""
    h, w, _ = rgb.shape
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = bytearray()
    n = 0
    for x0, y0, dx, dy in passes:
        sub = rgb[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        prev = np.zeros(sub.shape[1] * 3, dtype=np.int32)
        for row in sub.reshape(sub.shape[0], -1).astype(np.int32):
            kind = n % 5  # None, Sub, Up, Average, Paeth
            n += 1
            out = np.empty_like(row)
            for i in range(len(row)):
                a = row[i - 3] if i >= 3 else 0
                b = prev[i]
                c = prev[i - 3] if i >= 3 else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                paeth = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                pred = [0, a, b, (a + b) // 2, paeth][kind]
                out[i] = (row[i] - pred) & 0xFF
            raw += bytes([kind]) + out.astype(np.uint8).tobytes()
            prev = row

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + chunk(b"IEND", b""))


def make_folder(rng):
    """class_name/NNN.png files of 12x12 images; returns (relative path, label)."""
    samples = []
    for label, name in enumerate(["rgb", "rgba", "gray", "palette"]):
        os.makedirs(name, exist_ok=True)
        for i in range(3):
            base = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
            base[:, :6] = base[:, :1]  # smooth left half: writers pick Up/Paeth there
            path = f"{name}/{i:03d}.png"
            if name == "rgb":
                Image.fromarray(base).save(path)
            elif name == "rgba":
                alpha = rng.integers(0, 256, (12, 12, 1), dtype=np.uint8)
                Image.fromarray(np.concatenate([base, alpha], 2), "RGBA").save(path)
            elif name == "gray":
                Image.fromarray(base[..., 0]).save(path)
            else:
                img = Image.fromarray(base).quantize(colors=16 if i == 1 else 200)  # 16 colours: a 4-bit palette
                if i == 2:
                    img.save(path, transparency=bytes(range(0, 256, 16)))
                else:
                    img.save(path)
            samples.append((path, label))
    os.makedirs("extra", exist_ok=True)
    for bits in (1, 2, 4):
        levels = 2**bits
        g = rng.integers(0, levels, (12, 12), dtype=np.uint8) * (255 // (levels - 1))
        Image.fromarray(g).convert("L").save(f"extra/gray{bits}.png", bits=bits)
    Image.fromarray(rng.integers(0, 256, (12, 12), dtype=np.uint8) > 127).save("extra/mask.png")
    write_interlaced_png("extra/adam7.png", rng.integers(0, 256, (13, 11, 3), dtype=np.uint8))
    return samples


class PngFolder(Dataset):
    def __init__(self, samples, transform):
        self.samples = samples
        self.transform = transform

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, label = self.samples[i]
        return self.transform(read_image(path, mode=ImageReadMode.RGB)), label


torch.manual_seed(0)
rng = np.random.default_rng(0)
home = os.getcwd()
workdir = tempfile.mkdtemp()
os.chdir(workdir)
try:
    samples = make_folder(rng)
    transform = v2.Compose(
        [
            v2.RandomResizedCrop(10, scale=(0.6, 1.0), antialias=True),
            v2.RandomHorizontalFlip(),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]),
        ]
    )
    loader = DataLoader(PngFolder(samples, transform), batch_size=6, shuffle=True, generator=torch.Generator().manual_seed(1))
    model = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step, (x, y) in enumerate(loader):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if step == 2:
            break
    if step < 2:
        x, y = next(iter(loader))
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    # Every mode on every kind of file.
    modes = [ImageReadMode.UNCHANGED, ImageReadMode.GRAY, ImageReadMode.GRAY_ALPHA, ImageReadMode.RGB, ImageReadMode.RGB_ALPHA]
    stats = []
    for path in ["rgb/000.png", "rgba/001.png", "gray/002.png", "palette/000.png", "palette/002.png", "extra/adam7.png"]:
        data = read_file(path)
        for mode in modes:
            if path == "palette/000.png" and mode in (ImageReadMode.GRAY_ALPHA, ImageReadMode.RGB_ALPHA):
                continue  # no tRNS: torchvision expects an alpha channel libpng does not add
            img = decode_image(data, mode=mode)
            stats.append(img.float().mean())
        stats.append(decode_png(data, mode=ImageReadMode.RGB).float().std())
    for path in ["extra/gray1.png", "extra/gray2.png", "extra/gray4.png", "extra/mask.png"]:
        img = read_image(path)
        stats.append(img.float().mean() + read_image(path, ImageReadMode.RGB_ALPHA).float().mean())
    summary = torch.stack(stats)  # one value per decode, compared by the replay
finally:
    os.chdir(home)
