"""Fractional max pooling (Graham 2014) as a small image classifier uses it
to shrink feature maps by non-integer ratios: `nn.FractionalMaxPool2d(2,
output_ratio=0.7)` between convolutions (the samples drawn in Python by
`torch.rand`, `fractional_max_pool2d`, FractionalMaxPool2DBackward0:
`fractional_max_pool2d_backward` scattering the gradient to the indices),
trained three SGD steps on cross entropy; `output_size` with
`return_indices` and given `_random_samples`; an unbatched map; a 3-d
volume through `nn.FractionalMaxPool3d` (`fractional_max_pool3d` and its
backward); float64; overlapping windows (kernel 3 with more outputs than
the input allows disjoint windows), ties and NaN; PyTorch's refusals."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)


class FracNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 3, padding=1)
        self.p1 = nn.FractionalMaxPool2d(2, output_ratio=0.7)
        self.c2 = nn.Conv2d(6, 8, 3, padding=1)
        self.p2 = nn.FractionalMaxPool2d(2, output_size=(3, 3))
        self.fc = nn.Linear(8 * 9, 4)

    def forward(self, x):
        x = self.p1(F.relu(self.c1(x)))
        x = self.p2(F.relu(self.c2(x)))
        return self.fc(x.flatten(1))


net = FracNet()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
images = torch.randn(4, 1, 10, 10)
labels = torch.tensor([0, 1, 2, 3])
for step in range(3):
    loss = F.cross_entropy(net(images), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5))

# given samples, output_size, return_indices; overlapping 3x3 windows
x = torch.randn(2, 3, 9, 11, requires_grad=True)
samples = torch.rand(2, 3, 2)
y, idx = F.fractional_max_pool2d(x, 3, output_size=(6, 7), return_indices=True, _random_samples=samples)
print(idx[0, 0].tolist())
(y * torch.linspace(-1, 1, 42).view(6, 7)).sum().backward()
print(x.grad.abs().sum().item())

# an unbatched map with output_ratio
u = torch.randn(3, 8, 8, requires_grad=True)
F.fractional_max_pool2d(u, 2, output_ratio=(0.5, 0.75)).pow(2).sum().backward()
print(u.grad.sum().item())

# a volume
vol = torch.randn(2, 2, 6, 7, 5, requires_grad=True)
pool3 = nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.6, 0.7), return_indices=True)
v, vidx = pool3(vol)
print(list(v.shape), vidx[1, 1, 0].tolist())
v.sum().backward()
print(vol.grad.sum().item())

# float64, ties and NaN
d = torch.randn(1, 2, 7, 7, dtype=torch.float64, requires_grad=True)
F.fractional_max_pool2d(d, 2, output_size=4).sum().backward()
print(d.grad.sum().item())
flat = torch.zeros(1, 1, 5, 5)
flat[0, 0, 2, 3] = float("nan")
fv, fi = F.fractional_max_pool2d(flat, 2, output_size=3, return_indices=True, _random_samples=torch.full((1, 1, 2), 0.5))
print(fi.flatten().tolist(), fv.isnan().sum().item())

for args, kwargs in [
    ((torch.randn(2, 3, 5, 5), 2), dict(output_size=5)),
    ((torch.randn(2, 3, 5, 5), 2), dict(output_size=2, _random_samples=torch.rand(2, 3))),
    ((torch.randn(2, 3, 5, 5), 2), dict(output_size=2, _random_samples=torch.rand(1, 3, 2))),
    ((torch.randn(2, 3, 5, 5), 2), dict(output_size=2, _random_samples=torch.rand(2, 2, 2))),
]:
    try:
        F.fractional_max_pool2d(*args, **kwargs)
    except RuntimeError as e:
        print(str(e))
