"""Square roots of adaptive optimisers and RMS normalisation.

Adam with `foreach=True` takes the roots of its second moments with
`_foreach_sqrt`; RMSprop with `foreach=False` with `sqrt` of each state
tensor; a float64 regression normalises its samples by their RMS
(`sqrt` of a mean of squares). PyTorch gets float32/float64 roots from
MKL's vector math, which on an AVX-512 CPU is not the correctly rounded
root for some inputs: every one of these roots is compared bit for bit.
"""

import torch
from torch import nn

torch.manual_seed(0)

net = nn.Sequential(nn.Linear(24, 48), nn.ReLU(), nn.Linear(48, 6))
adam = torch.optim.Adam(net.parameters(), lr=1e-2, foreach=True)
x = torch.randn(32, 24)
y = torch.randn(32, 6)
for _ in range(3):
    adam.zero_grad()
    loss = nn.functional.mse_loss(net(x), y)
    loss.backward()
    adam.step()

reg = nn.Linear(10, 1).double()
rmsprop = torch.optim.RMSprop(reg.parameters(), lr=1e-2, foreach=False)
xd = torch.randn(1024, 10, dtype=torch.float64) * 3.0
yd = xd.sum(1, keepdim=True).sin()
for _ in range(3):
    rmsprop.zero_grad()
    rms = xd.pow(2).mean(1, keepdim=True).add(1e-6).sqrt()
    loss = (reg(xd / rms) - yd).pow(2).mean()
    loss.backward()
    rmsprop.step()

# Root-mean-square of every weight, as a monitoring hook would print it.
for p in net.parameters():
    print(p.detach().pow(2).mean().sqrt().item())
