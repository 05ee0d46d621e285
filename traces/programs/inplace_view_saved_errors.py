"""Errors a program catches and goes on from, about views and folds: a
slice saved by `cumprod` whose base is then written through a sibling slice
(`copy_`; the backward raises naming the view's regenerated history,
`output 0 of AsStrided`, as building `torch.vander` with a gradient does),
a caught error of `torch.vander` itself, and `F.fold` with a column count
that is not a multiple of the kernel's area or that disagrees with the
number of sliding blocks (col2im's checks). A small unfold-based
convolution trains two SGD steps between them."""

import torch
import torch.nn.functional as F

torch.manual_seed(0)

weight = torch.randn(4, 2 * 9, requires_grad=True)
opt = torch.optim.SGD([weight], lr=0.1)
x = torch.randn(2, 2, 7, 7)
errors = []

for step in range(2):
    opt.zero_grad()
    cols = F.unfold(x, kernel_size=3, padding=1, stride=2)
    out = weight @ cols
    rec = F.fold(out.repeat(1, 9, 1)[:, :36], (7, 7), kernel_size=3, padding=1, stride=2)
    loss = out.pow(2).mean() + rec.abs().mean()
    loss.backward()
    opt.step()

    base = torch.empty(3, 3)
    base[:, 0] = 1.0
    base[:, 1:] = weight[:3, :1] * 1.0
    saved = base[:, 1:]
    prod = saved.cumprod(1)
    base[:, :2] = prod
    try:
        base.sum().backward()
    except RuntimeError as e:
        errors.append(str(e)[:120])
    try:
        torch.vander(weight[0, :3], N=3).sum().backward()
    except RuntimeError as e:
        errors.append(str(e)[:120])

for size in ((2, 12, 16), (2, 18, 15)):
    try:
        F.fold(torch.randn(size), (7, 7), kernel_size=3, padding=1, stride=2)
    except RuntimeError as e:
        errors.append(str(e))
print(errors)
