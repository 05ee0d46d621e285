"""A RealNVP normalising flow on 2-D toy data, as flow tutorials write it.

Alternating binary masks registered as buffers (`torch.tensor([[0, 1],
[1, 0]] * 2)`), affine coupling layers whose scale network ends in `tanh`
(log-scale `s = tanh(net(x * mask)) * (1 - mask)`), the forward transform
`x * mask + (1 - mask) * (x * torch.exp(s) + t)`, log-determinants summed
over features and accumulated across layers, the inverse pass for sampling
(`(z - t) * torch.exp(-s)`), a standard-normal prior from
`torch.distributions.Normal(torch.zeros(2), torch.ones(2))` with
`log_prob(z).sum(1)` (and a `MultivariateNormal` with identity covariance
for the same density, compared), the negative log-likelihood averaged,
Adam with weight decay, then `prior.sample((n,))` mapped back through the
inverse under `torch.no_grad()`.
"""
import torch
import torch.nn as nn
from torch import distributions

torch.manual_seed(0)


def two_moons(n):
    t = torch.rand(n) * torch.pi
    upper = torch.stack([torch.cos(t), torch.sin(t)], 1)
    lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], 1)
    x = torch.cat([upper[: n // 2], lower[n // 2:]])
    return x + 0.05 * torch.randn_like(x)


class RealNVP(nn.Module):
    def __init__(self, nets, nett, mask, prior):
        super().__init__()
        self.prior = prior
        self.register_buffer("mask", mask)
        self.t = nn.ModuleList([nett() for _ in range(len(mask))])
        self.s = nn.ModuleList([nets() for _ in range(len(mask))])

    def g(self, z):
        x = z
        for i in range(len(self.t)):
            x_ = x * self.mask[i]
            s = self.s[i](x_) * (1 - self.mask[i])
            t = self.t[i](x_) * (1 - self.mask[i])
            x = x_ + (1 - self.mask[i]) * (x * torch.exp(s) + t)
        return x

    def f(self, x):
        log_det_J, z = x.new_zeros(x.shape[0]), x
        for i in reversed(range(len(self.t))):
            z_ = self.mask[i] * z
            s = self.s[i](z_) * (1 - self.mask[i])
            t = self.t[i](z_) * (1 - self.mask[i])
            z = (1 - self.mask[i]) * (z - t) * torch.exp(-s) + z_
            log_det_J -= s.sum(dim=1)
        return z, log_det_J

    def log_prob(self, x):
        z, logp = self.f(x)
        return self.prior.log_prob(z).sum(1) + logp

    def sample(self, n):
        z = self.prior.sample((n,))
        return self.g(z)


def nets():
    return nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(), nn.Linear(16, 16),
                         nn.LeakyReLU(), nn.Linear(16, 2), nn.Tanh())


def nett():
    return nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(), nn.Linear(16, 16),
                         nn.LeakyReLU(), nn.Linear(16, 2))


masks = torch.tensor([[0, 1], [1, 0]] * 2, dtype=torch.float32)
prior = distributions.Normal(torch.zeros(2), torch.ones(2))
flow = RealNVP(nets, nett, masks, prior)
optimizer = torch.optim.Adam([p for p in flow.parameters() if p.requires_grad], lr=1e-3, weight_decay=1e-5)
for step in range(3):
    x = two_moons(24)
    loss = -flow.log_prob(x).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, loss.item())

mvn = distributions.MultivariateNormal(torch.zeros(2), torch.eye(2))
with torch.no_grad():
    x = two_moons(8)
    z, ld = flow.f(x)
    print((mvn.log_prob(z) - prior.log_prob(z).sum(1)).abs().max().item())
    samples = flow.sample(8)
    print(samples.mean(0), ld.mean().item())
