"""Tensors resized in place, as older training code and `nn.CrossMapLRN2d`
do: `resize_` and `resize_as_` shrinking onto the storage's prefix, growing
it (the old elements kept, the new ones written before use), keeping a
transposed tensor's strides at the same shape, restriding to channels-last,
on views with a storage offset (every view of a grown storage following
it), for float, integer, bool and complex tensors; then a small CNN with `CrossMapLRN2d` (whose autograd Function
resizes its scratch buffers with `resize_as_`) trained for two steps."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

# Shrink, then grow back within the storage: the old elements reappear.
a = torch.arange(12.0)
a.resize_(2, 3)
a.resize_(12)
a.mul_(0.5)

# Grow beyond the storage, then fill the new part before reading it.
b = torch.randn(2, 3)
b.resize_(3, 4)
b[2].fill_(1.0)
b[1, 2:].zero_()
grown = b.sum(0)

# An empty buffer sized later (the legacy `Tensor().resize_(n).normal_()`).
c = torch.empty(0).resize_(6).normal_()
d = torch.empty(0, dtype=torch.int64).resize_(3, 2).random_(0, 10)

# The same shape keeps a transposed tensor's strides; a memory format
# restrides it even then.
t = torch.randn(3, 4).t()
t.resize_(4, 3)
kept = t.stride()
t.resize_(4, 3, memory_format=torch.contiguous_format)
nhwc = torch.randn(2, 3, 4, 5).resize_(1, 3, 2, 2, memory_format=torch.channels_last)
nhwc.add_(1.0)

# resize_as_: the template's shape; preserve_format takes its layout.
template = torch.randn(2, 3, 2, 2).contiguous(memory_format=torch.channels_last)
e = torch.randn(5)
e.resize_as_(template, memory_format=torch.preserve_format)
e.copy_(template)
f = torch.zeros(3, dtype=torch.bool).resize_as_(torch.ones(2, 2))
f.fill_(True)
z = torch.randn(2, dtype=torch.complex64)
z.resize_(3)
z[2] = 1 + 2j
zr = torch.view_as_real(z).sum()

# A view with a storage offset grows its base's storage from that offset.
base = torch.arange(8.0)
tail = base[5:]
tail.resize_(2, 3)
tail[1].fill_(-1.0)
tail[0].fill_(3.0)
offset_base = base.sum()

# A view taken before a growth follows it (the storage is reallocated under
# every view of it): writes through either side reach the other.
g = torch.arange(4.0)
middle = g[1:3]
g.resize_(10)
g.fill_(7.0)
middle.mul_(2.0)
followed = g[:4].clone()
print(offset_base.item(), followed)
print(a.sum().item(), grown, c.shape, d.shape, kept, t.stride(), nhwc.stride(), e.stride(), f.sum().item(), zr.item(), tail)

# A CNN with cross-map local response normalisation, two SGD steps.
net = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.CrossMapLRN2d(3, alpha=1e-3, beta=0.75, k=1.0), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 4 * 4, 5))
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
x = torch.randn(2, 3, 8, 8)
y = torch.tensor([1, 4])
for _ in range(2):
    loss = F.cross_entropy(net(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())
