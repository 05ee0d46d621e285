"""Distributional DQN updates with prioritized replay.

A QR-DQN head (N quantiles per action, dueling value/advantage streams)
trained by the quantile Huber loss: the pairwise TD errors `u`, an
elementwise `huber_loss(reduction="none")` weighted by `|τ − 1{u < 0}|`,
the target's greedy action picked by `argmax` of the quantile mean and its
quantiles `gather`ed; transitions drawn from a prioritized buffer by
`cumsum` + `searchsorted` of `rand` draws (and `multinomial` with
replacement), importance weights `(N·P(i))^−β / max`, new priorities
written back with `index_put_`. A C51 head's target distribution is
projected onto the fixed support with `floor`/`ceil` and two `index_add_`
calls into a flattened view, trained by cross-entropy against
`log_softmax`. The target network follows by Polyak averaging with
`torch._foreach_lerp_` under `no_grad`; Adam with `clip_grad_norm_`.
"""

import copy

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(14)
obs_dim, n_actions, n_quant = 4, 3, 8


class QuantileDueling(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(obs_dim, 32), nn.ReLU())
        self.value = nn.Linear(32, n_quant)
        self.adv = nn.Linear(32, n_actions * n_quant)

    def forward(self, x):
        h = self.body(x)
        v = self.value(h).unsqueeze(1)
        a = self.adv(h).view(-1, n_actions, n_quant)
        return v + a - a.mean(dim=1, keepdim=True)


online = QuantileDueling()
target = copy.deepcopy(online)
opt = torch.optim.Adam(online.parameters(), lr=5e-4)
tau = (torch.arange(n_quant, dtype=torch.float32) + 0.5) / n_quant

cap = 16
states = torch.randn(cap, obs_dim)
actions = torch.randint(0, n_actions, (cap,))
rewards = torch.randn(cap)
next_states = torch.randn(cap, obs_dim)
dones = (torch.rand(cap) < 0.2).float()
priorities = torch.ones(cap)
alpha, beta, gamma = 0.6, 0.4, 0.99

for step in range(3):
    probs = priorities.pow(alpha)
    cdf = torch.cumsum(probs, 0)
    draws = torch.rand(4) * cdf[-1]
    idx = torch.searchsorted(cdf, draws).clamp(max=cap - 1)
    weights = (cap * probs[idx] / probs.sum()).pow(-beta)
    weights = weights / weights.max()
    with torch.no_grad():
        next_q = online(next_states[idx]).mean(dim=2)
        next_a = next_q.argmax(dim=1)
        next_quant = target(next_states[idx])
        next_quant = next_quant.gather(1, next_a.view(-1, 1, 1).expand(-1, 1, n_quant)).squeeze(1)
        target_quant = rewards[idx].unsqueeze(1) + gamma * (1 - dones[idx]).unsqueeze(1) * next_quant
    quant = online(states[idx])
    quant = quant.gather(1, actions[idx].view(-1, 1, 1).expand(-1, 1, n_quant)).squeeze(1)
    u = target_quant.unsqueeze(1) - quant.unsqueeze(2)
    huber = F.huber_loss(
        quant.unsqueeze(2).expand(-1, -1, n_quant),
        target_quant.unsqueeze(1).expand(-1, n_quant, -1),
        reduction="none",
    )
    per_sample = (torch.abs(tau.view(1, -1, 1) - (u.detach() < 0).float()) * huber).sum(1).mean(1)
    loss = (weights * per_sample).mean()
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(online.parameters(), 10.0)
    opt.step()
    priorities[idx] = per_sample.detach() + 1e-6
    with torch.no_grad():
        torch._foreach_lerp_(list(target.parameters()), list(online.parameters()), 0.05)
    print(f"step {step}: loss {loss.item():.6f} idx {idx.tolist()}")
resampled = torch.multinomial(priorities, 4, replacement=True)

# C51: project the target distribution onto the support, cross-entropy.
n_atoms, v_min, v_max = 11, -5.0, 5.0
support = torch.linspace(v_min, v_max, n_atoms)
delta_z = (v_max - v_min) / (n_atoms - 1)
c51 = nn.Linear(obs_dim, n_actions * n_atoms)
c51_opt = torch.optim.Adam(c51.parameters(), lr=1e-3)
batch = 4
for step in range(2):
    s, s2 = torch.randn(batch, obs_dim), torch.randn(batch, obs_dim)
    a = torch.randint(0, n_actions, (batch,))
    r = torch.randn(batch)
    with torch.no_grad():
        next_p = F.softmax(c51(s2).view(batch, n_actions, n_atoms), dim=2)
        best = (next_p * support).sum(2).argmax(1)
        next_p = next_p[torch.arange(batch), best]
        tz = (r.unsqueeze(1) + gamma * support.unsqueeze(0)).clamp(v_min, v_max)
        b = (tz - v_min) / delta_z
        lo, hi = b.floor().long(), b.ceil().long()
        lo[(hi > 0) & (lo == hi)] -= 1
        hi[(lo < n_atoms - 1) & (lo == hi)] += 1
        m = torch.zeros(batch, n_atoms)
        offset = (torch.arange(batch) * n_atoms).unsqueeze(1).expand(batch, n_atoms)
        m.view(-1).index_add_(0, (lo + offset).view(-1), (next_p * (hi.float() - b)).view(-1))
        m.view(-1).index_add_(0, (hi + offset).view(-1), (next_p * (b - lo.float())).view(-1))
    logp = F.log_softmax(c51(s).view(batch, n_actions, n_atoms), dim=2)[torch.arange(batch), a]
    c51_loss = -(m * logp).sum(1).mean()
    c51_opt.zero_grad()
    c51_loss.backward()
    c51_opt.step()
    print(f"c51 {step}: {c51_loss.item():.6f}")
