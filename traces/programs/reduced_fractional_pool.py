"""Fractional max pooling in bfloat16 and float16: a small half-precision
CNN shrinking its feature maps with `nn.FractionalMaxPool2d(2,
output_ratio=0.6)` (the samples drawn by `torch.rand` in the input's
dtype), trained two SGD steps; a float16 volume through
`nn.FractionalMaxPool3d` with `return_indices`; given `_random_samples`
whose window starts differ when computed in float32 (ATen computes every
step of the starts in the input's type: `alpha`, `i + u`, the products);
overlapping windows whose backward sums several gradients into one input
element in the half type (`fractional_max_pool2d_backward` /
`fractional_max_pool3d_backward`)."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)


class HalfFracNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, padding=1)
        self.p1 = nn.FractionalMaxPool2d(2, output_ratio=0.6)
        self.fc = nn.Linear(4 * 7 * 7, 3)

    def forward(self, x):
        x = self.p1(F.relu(self.c1(x)))
        return self.fc(x.flatten(1))


net = HalfFracNet().to(torch.bfloat16)
opt = torch.optim.SGD(net.parameters(), lr=0.05)
images = torch.randn(2, 1, 12, 12).to(torch.bfloat16)
labels = torch.tensor([0, 2])
for step in range(2):
    loss = F.cross_entropy(net(images).float(), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())

# Given samples near 1 on long rows: the starts differ from float32's.
for dtype in (torch.bfloat16, torch.float16):
    x = torch.randn(1, 3, 9, 70).to(dtype).requires_grad_()
    samples = torch.tensor([[[0.99609375, 0.9921875], [0.7, 0.33], [0.05, 0.999]]]).to(dtype)
    out, idx = F.fractional_max_pool2d(
        x, (2, 3), output_size=(4, 45), return_indices=True, _random_samples=samples
    )
    (out.float() * torch.linspace(-1, 1, 45)).sum().backward()
    print(dtype, idx[0, 0, 0, -6:], x.grad.float().abs().sum())

# A float16 volume, overlapping windows (kernel 3, output 5 of input 8).
vol = torch.randn(2, 2, 8, 8, 10).to(torch.float16).requires_grad_()
pool3 = nn.FractionalMaxPool3d(3, output_size=(5, 5, 6), return_indices=True)
out, idx = pool3(vol)
grad_out = torch.randn(out.shape).to(torch.float16)
out.backward(grad_out)
print(idx.flatten()[:8], vol.grad.float().abs().sum())

# A bfloat16 unbatched map.
m = torch.randn(3, 11, 13).to(torch.bfloat16).requires_grad_()
y = F.fractional_max_pool2d(m, 3, output_ratio=(0.5, 0.5))
y.sum().backward()
print(y.shape, m.grad.float().sum())
