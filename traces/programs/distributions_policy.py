"""torch.distributions in training code: a REINFORCE policy and a Gaussian head.

Distributions validate their arguments by default, which dispatches
`_is_all_true` on the bool result of each constraint check. A categorical
policy samples actions, weights log-probabilities by normalised returns and
adds an entropy bonus (as pytorch/examples' reinforce.py does); a Gaussian
head is trained through `rsample` with a KL term against a fixed prior, and a
Bernoulli head through `log_prob` of observed bits.
"""

import torch
from torch import nn
from torch.distributions import Bernoulli, Categorical, Normal, kl_divergence

torch.manual_seed(0)

policy = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3))
opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
for episode in range(2):
    log_probs, rewards, entropies = [], [], []
    state = torch.randn(4)
    for t in range(3):
        dist = Categorical(logits=policy(state))
        action = dist.sample()
        log_probs.append(dist.log_prob(action))
        entropies.append(dist.entropy())
        rewards.append(1.0 if action.item() == 1 else -0.5)
        state = 0.9 * state + 0.1 * action.float()
    ret, returns = 0.0, []
    for r in reversed(rewards):
        ret = r + 0.99 * ret
        returns.insert(0, ret)
    returns_t = torch.tensor(returns)
    returns_t = (returns_t - returns_t.mean()) / (returns_t.std() + 1e-8)
    loss = -(torch.stack(log_probs) * returns_t).sum() - 0.01 * torch.stack(entropies).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()

encoder = nn.Linear(5, 4)
decoder = nn.Linear(2, 5)
opt2 = torch.optim.SGD(list(encoder.parameters()) + list(decoder.parameters()), lr=0.05)
x = torch.randn(3, 5)
bits = (torch.rand(3, 5) > 0.5).float()
prior = Normal(torch.zeros(2), torch.ones(2))
for step in range(2):
    mu, log_std = encoder(x).chunk(2, dim=-1)
    posterior = Normal(mu, log_std.exp())
    z = posterior.rsample()
    recon = Bernoulli(logits=decoder(z))
    loss = -recon.log_prob(bits).sum(-1).mean() + kl_divergence(posterior, prior).sum(-1).mean()
    opt2.zero_grad()
    loss.backward()
    opt2.step()
