"""A CNN with batch norm held in bfloat16, trained on raw pixel values.

`model.to(torch.bfloat16)` puts the batch norms' weights, biases and
running statistics in bfloat16 too, so PyTorch's CPU kernel keeps the
batch statistics in bfloat16: the mean and the variance's sum of squares
are rounded before the input is normalised, and the variance divides by
the element count rounded to bfloat16 (3·11·11 = 363 elements per channel
of the first norm, which bfloat16 rounds to 364; float16 holds it). Inputs are
unnormalised pixel values (mean far from zero against their spread), where
the rounded mean shows in every output. Three SGD steps with momentum,
then a held-out batch under `no_grad` (still batch statistics) and a
channels-last batch.
"""

import torch
from torch import nn

torch.manual_seed(0)


def make():
    return nn.Sequential(
        nn.Conv2d(3, 6, 3),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.Conv2d(6, 8, 3, stride=2),
        nn.BatchNorm2d(8, momentum=0.3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * 5 * 5, 12),
        nn.BatchNorm1d(12),
        nn.Tanh(),
        nn.Linear(12, 3),
    )


for dtype in (torch.bfloat16,):
    model = make().to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    pixels = torch.rand(3, 3, 13, 13) * 255  # raw intensities
    x = (pixels / 64 + 2).to(dtype)
    y = torch.tensor([0, 2, 1])
    for step in range(3):
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.float(), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        held_out = (torch.rand(2, 3, 13, 13) * 4 + 2).to(dtype)
        print(dtype, loss.item(), model(held_out).float().sum().item())
    cl = x.contiguous(memory_format=torch.channels_last)
    out = model[:3](cl)
    print(out.is_contiguous(memory_format=torch.channels_last), out.float().mean().item())
