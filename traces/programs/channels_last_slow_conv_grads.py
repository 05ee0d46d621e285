"""Channels-last convolutions whose backward runs on PyTorch's Slow2d loops.

A ConvNeXt-style block in float64 (gradient checking precision) with the
LayerNorm applied channels-last and permuted back, so the pointwise 1x1 and
depthwise convolutions see NHWC-strided activations; then a MobileNet-style
inverted residual fine-tuned in float32 on one channels-last image at a
time, its weights left contiguous (a batch of one with 1x1 kernels, where
PyTorch prefers its own loops over oneDNN). Their weight gradients keep the
weight's contiguous layout; the grouped depthwise ones on oneDNN do not.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dw = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.pw1 = nn.Conv2d(dim, 2 * dim, 1)
        self.pw2 = nn.Conv2d(2 * dim, dim, 1)
        self.gamma = nn.Parameter(torch.full((dim, 1, 1), 0.5))

    def forward(self, x):
        y = self.dw(x)
        y = self.norm(y.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        y = self.pw2(F.gelu(self.pw1(y)))
        return x + self.gamma * y


class InvertedResidual(nn.Module):
    def __init__(self, c, expand):
        super().__init__()
        h = c * expand
        self.expand = nn.Conv2d(c, h, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(h)
        self.dw = nn.Conv2d(h, h, 3, padding=1, groups=h, bias=False)
        self.bn2 = nn.BatchNorm2d(h)
        self.project = nn.Conv2d(h, c, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu6(self.bn1(self.expand(x)))
        y = F.relu6(self.bn2(self.dw(y)))
        return x + self.bn3(self.project(y))


stem = nn.Conv2d(3, 4, 2, stride=2).double()
block = ConvNeXtBlock(4).double()
head = nn.Linear(4, 3).double()
params = [*stem.parameters(), *block.parameters(), *head.parameters()]
opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
for step in range(2):
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    y = torch.tensor([0, 2])
    feats = block(stem(x))
    loss = F.cross_entropy(head(feats.mean((2, 3))), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item(), block.pw1.weight.grad.stride(), block.dw.weight.grad.stride())

net = nn.Sequential(nn.Conv2d(3, 4, 1), InvertedResidual(4, 2))
cls = nn.Linear(4, 2)
opt = torch.optim.Adam([*net.parameters(), *cls.parameters()], lr=1e-3)
for step in range(2):
    img = torch.rand(1, 3, 6, 6).contiguous(memory_format=torch.channels_last)
    out = cls(net(img).mean((2, 3)))
    loss = F.cross_entropy(out, torch.tensor([step % 2]))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item(), net[1].project.weight.grad.stride(), net[1].dw.weight.grad.stride())
