"""Gaussian exploration in continuous control (TD3/DDPG style), trained a few steps.

An actor's actions get exploration noise from `torch.normal(action, 0.1)`
(`normal.Tensor_float`), the critic's targets use target-policy smoothing
noise from `torch.normal(0.0, 0.2, size=...)` clamped (`normal.float_float`),
a stochastic policy samples `Normal(mu, std).sample()` (`normal.Tensor_Tensor`
on expanded moments) and a noisy layer injects `torch.normal(0.0, sigma)`
with a learned sigma (`normal.float_Tensor`): draws carry no gradient, so the
NormalBackward nodes hand back zeros. Then float64 and broadcast moments, a
seeded generator, and a negative std caught.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal

torch.manual_seed(0)
obs_dim, act_dim = 3, 2


class Actor(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim, 16), nn.ReLU(), nn.Linear(16, act_dim))

    def forward(self, s):
        return torch.tanh(self.net(s))


class NoisyLinear(nn.Module):
    """A linear layer with a learned noise scale on its output."""

    def __init__(self, fi, fo):
        super().__init__()
        self.lin = nn.Linear(fi, fo)
        self.log_sigma = nn.Parameter(torch.full((fo,), -2.0))

    def forward(self, x):
        y = self.lin(x)
        if self.training:
            y = y + torch.normal(0.0, self.log_sigma.exp().expand_as(y))
        return y


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = NoisyLinear(obs_dim + act_dim, 16)
        self.l2 = nn.Linear(16, 1)

    def forward(self, s, a):
        return self.l2(F.relu(self.l1(torch.cat([s, a], 1))))


actor, critic = Actor(), Critic()
actor_t, critic_t = Actor(), Critic()
actor_t.load_state_dict(actor.state_dict())
critic_t.load_state_dict(critic.state_dict())
a_opt = torch.optim.Adam(actor.parameters(), lr=1e-3)
c_opt = torch.optim.Adam(critic.parameters(), lr=1e-3)

# A small replay buffer filled by the noisy actor.
states = torch.randn(12, obs_dim)
with torch.no_grad():
    actions = torch.normal(actor(states), 0.1).clamp(-1.0, 1.0)
rewards = torch.randn(12, 1)
next_states = states + 0.1 * torch.randn(12, obs_dim)
done = (torch.rand(12, 1) < 0.2).float()

for step in range(3):
    idx = torch.randint(0, 12, (6,))
    s, a, r, s2, d = states[idx], actions[idx], rewards[idx], next_states[idx], done[idx]
    with torch.no_grad():
        smooth = torch.normal(0.0, 0.2, size=(6, act_dim)).clamp(-0.5, 0.5)
        a2 = (actor_t(s2) + smooth).clamp(-1.0, 1.0)
        target = r + 0.99 * (1 - d) * critic_t(s2, a2)
    c_loss = F.mse_loss(critic(s, a), target)
    c_opt.zero_grad()
    c_loss.backward()
    c_opt.step()
    a_loss = -critic(s, actor(s)).mean()
    a_opt.zero_grad()
    a_loss.backward()
    a_opt.step()
    with torch.no_grad():
        for p, pt in zip(actor.parameters(), actor_t.parameters()):
            pt.mul_(0.995).add_(p, alpha=0.005)
    print("td3", step, round(c_loss.item(), 6), round(a_loss.item(), 6))

# A Gaussian policy: sample() draws from expanded moments without a graph;
# a perturbation drawn with gradients flowing to both moments (zeros).
mu_head = nn.Linear(obs_dim, act_dim)
log_std = nn.Parameter(torch.zeros(act_dim))
opt = torch.optim.SGD(list(mu_head.parameters()) + [log_std], lr=0.05)
for step in range(2):
    mu = mu_head(states[:4])
    dist = Normal(mu, log_std.exp())
    act = dist.sample()
    jitter = torch.normal(mu, log_std.exp().expand_as(mu))
    explore = torch.normal(mu, 0.05)
    loss = -(dist.log_prob(act).sum(-1) * rewards[:4, 0]).mean() + 0.01 * (jitter.pow(2).mean() + explore.abs().mean())
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("policy", step, round(loss.item(), 6), log_std.grad.tolist())

# float64 moments, a broadcast of (3, 1) means against (4,) stds, a seeded
# generator, and the float64 std of normal.float_Tensor.
m64 = torch.randn(3, 1, dtype=torch.float64, requires_grad=True)
s64 = torch.rand(4, dtype=torch.float64).add(0.5).requires_grad_()
g = torch.Generator().manual_seed(7)
x = torch.normal(m64, s64, generator=g)
y = torch.normal(1.5, s64)
z = torch.normal(0.0, 1.0, size=(2, 2), dtype=torch.float64, generator=g)
(x.sum() + y.sum()).backward()
print(x.shape, x.dtype, y.dtype, z.dtype, m64.grad.tolist(), s64.grad.tolist())

try:
    torch.normal(torch.zeros(2), -1.0)
except RuntimeError as e:
    print("caught:", e)
try:
    torch.normal(0.0, torch.tensor([1.0, -0.5]))
except RuntimeError as e:
    print("caught:", e)
