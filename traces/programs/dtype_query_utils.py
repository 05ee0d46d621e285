"""Library code that picks dtypes with PyTorch's own promotion queries.

Mixed-precision and data-loading helpers ask PyTorch which dtype an
operation should produce instead of hard-coding it:
`torch.promote_types(a.dtype, b.dtype)` picks a common dtype for two inputs
(uint8 images with float32 statistics, int64 class counts with bfloat16
weights, float16 logits with float32 targets, complex spectra with float64
scales), and `torch.can_cast(src, dst)` guards an in-place update before it
is tried (float into int is refused, int into float and anything into a
wider float allowed). Both dispatch as operators with dtype arguments only
(`aten.promote_types`, `aten.can_cast`), returning a `ScalarType` or a bool;
the chosen dtypes then drive `.to()`, arithmetic and a short training loop
whose loss is accumulated in the promoted dtype.
"""

import torch
from torch import nn

torch.manual_seed(0)


def common(*tensors):
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return [t.to(dtype) for t in tensors]


def add_into(dst, src):
    if torch.can_cast(src.dtype, dst.dtype):
        dst.add_(src.to(dst.dtype))
        return True
    return False


images = torch.randint(0, 256, (4, 3, 4, 4), dtype=torch.uint8)
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
pixels, mean, std = common(images, mean, std)
normalised = (pixels / 255 - mean) / std
print("normalised", normalised.dtype, round(normalised.mean().item(), 4))

counts = torch.bincount(torch.randint(0, 5, (40,)), minlength=5)
weights = torch.rand(5, dtype=torch.bfloat16)
counts, weights = common(counts, weights)
print("weighted counts", counts.dtype, (counts * weights).sum().item())

logits16 = torch.randn(6, 3).half()
targets = torch.rand(6, 3)
accumulate = torch.promote_types(logits16.dtype, torch.promote_types(targets.dtype, torch.float64))
loss = nn.functional.binary_cross_entropy_with_logits(logits16.to(accumulate), targets.to(accumulate))
print("accumulated in", accumulate, round(loss.item(), 6))

spectrum = torch.fft.rfft(torch.randn(8))
scale = torch.linspace(0.5, 1.5, 5, dtype=torch.float64)
spectrum, scale = common(spectrum, scale)
print("spectrum", spectrum.dtype, round((spectrum * scale).abs().sum().item(), 4))

buffer = torch.zeros(3, dtype=torch.int64)
print("float into int", add_into(buffer, torch.ones(3)))
print("int into int", add_into(buffer, torch.arange(3, dtype=torch.int32)))
running = torch.zeros(3, dtype=torch.float64)
print("half into double", add_into(running, torch.ones(3, dtype=torch.float16)), running.tolist())
print("bool into uint8", torch.can_cast(torch.bool, torch.uint8), "int8 into bool", torch.can_cast(torch.int8, torch.bool))
print("complex into float", torch.can_cast(torch.complex64, torch.float32))

model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.005)
x = torch.randint(0, 10, (8, 4))
y = torch.randn(8, 2, dtype=torch.float64)
for step in range(3):
    opt.zero_grad()
    inputs = x.to(torch.promote_types(x.dtype, model.weight.dtype))
    out = model(inputs)
    loss_dtype = torch.promote_types(out.dtype, y.dtype)
    loss = (out.to(loss_dtype) - y).pow(2).mean()
    loss.backward()
    opt.step()
    print("step", step, loss.dtype, round(loss.item(), 6))
