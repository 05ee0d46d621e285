"""Training code that works through `Tensor.data`: DCGAN-style weight init
(`w.data.normal_`, `uniform_`, `fill_`), a critic trained with a manual SGD
update (`p.data.add_(p.grad, alpha=-lr)`) and WGAN weight clipping
(`p.data.clamp_`), a model converted with `model.double()` then trained in
float64, and an EMA copy of it (`copy.deepcopy`) updated with
`ema.data.mul_().add_()` and `.data.copy_()`; `vector_to_parameters`
assigns `param.data`; a gradient hook reads `grad.data`."""

import copy

import torch
from torch import nn



def init_weights(m):
    if isinstance(m, nn.Linear):
        m.weight.data.normal_(0.0, 0.5)
        m.bias.data.fill_(0.1)


torch.manual_seed(0)
critic = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
critic.apply(init_weights)
net.apply(init_weights)
net[2].bias.data.uniform_(-0.1, 0.1)

x = torch.randn(5, 3)
y = torch.randn(5, 1)
lr = 0.1
for step in range(2):
    loss = critic(x).mean() - critic(y.expand(5, 3)).mean()
    critic.zero_grad()
    loss.backward()
    for p in critic.parameters():
        p.data.add_(p.grad, alpha=-lr)
        p.data.clamp_(-0.5, 0.5)

net.double()
x64, y64 = x.double(), y.double()
ema = copy.deepcopy(net)
for step in range(2):
    loss = ((net(x64) - y64) ** 2).mean()
    net.zero_grad()
    loss.backward()
    for p in net.parameters():
        p.data.add_(p.grad.data, alpha=-lr)
    with torch.no_grad():
        for pe, p in zip(ema.parameters(), net.parameters()):
            pe.data.mul_(0.9).add_(p.data, alpha=0.1)

# a hard target update, and weights written back from a flat vector
# (`vector_to_parameters` assigns `param.data`)
for pe, p in zip(ema[2].parameters(), net[2].parameters()):
    pe.data.copy_(p.data)
flat = torch.nn.utils.parameters_to_vector(net.parameters())
torch.nn.utils.vector_to_parameters(flat * 0.5, net.parameters())
# a gradient hook that works through `.data` (runs inside the backward)
net[0].weight.register_hook(lambda g: g.data.clamp(-0.05, 0.05))
out = (ema(x64) - net(x64)).abs().sum()
out.backward()
