"""torch.distributions' Gamma family in training code: reparameterised Gamma,
Beta and Dirichlet samples, with argument validation on.

A continuous-control policy draws bounded actions from a Beta whose
concentrations come from a softplus head (as Beta-policy PPO code does),
trained on a clipped surrogate with an entropy bonus and a KL term against
the previous policy. A VAE-style model samples a Gamma latent (rsample →
`_standard_gamma`, StandardGammaBackward0 → `_standard_gamma_grad`) and a
Dirichlet topic mixture (rsample → the `_Dirichlet` function →
`_sample_dirichlet`, backward `_dirichlet_grad`), with KL terms against
fixed priors; a Student-t likelihood (rsample through Chi2's gammas) and a
Poisson count term (`poisson` samples) share its decoder. Adam, three
steps each, then the same latents in float64. Binomial draws make the
counts of a success-rate model; the samplers also draw from an explicit
torch.Generator.
"""

import torch
from torch import nn
from torch.distributions import (
    Beta,
    Binomial,
    Chi2,
    Dirichlet,
    Gamma,
    Poisson,
    StudentT,
    kl_divergence,
)
from torch.nn import functional as F

torch.manual_seed(0)


class BetaPolicy(nn.Module):
    def __init__(self, obs, act):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(obs, 16), nn.Tanh())
        self.alpha = nn.Linear(16, act)
        self.beta = nn.Linear(16, act)

    def forward(self, s):
        h = self.body(s)
        return Beta(F.softplus(self.alpha(h)) + 1.0, F.softplus(self.beta(h)) + 1.0)


policy = BetaPolicy(5, 2)
opt = torch.optim.Adam(policy.parameters(), lr=3e-3)
low, high = torch.tensor([-1.0, 0.0]), torch.tensor([1.0, 2.0])
states = torch.randn(6, 5)
with torch.no_grad():
    old = policy(states)
    actions = old.sample()
    old_log_prob = old.log_prob(actions).sum(-1)
advantages = torch.randn(6)
for step in range(3):
    dist = policy(states)
    ratio = (dist.log_prob(actions).sum(-1) - old_log_prob).exp()
    surrogate = torch.min(ratio * advantages, ratio.clamp(0.8, 1.2) * advantages)
    # A reparameterised action through an environment-scale critic.
    scaled = low + (high - low) * dist.rsample()
    critic = -(scaled - torch.tensor([0.3, 1.5])).pow(2).sum(-1)
    kl = kl_divergence(old, dist).sum(-1)
    loss = -(surrogate.mean() + 0.1 * critic.mean()) - 0.01 * dist.entropy().sum(-1).mean() + 0.5 * kl.mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 4))


class GammaDirichletVAE(nn.Module):
    def __init__(self, d, k):
        super().__init__()
        self.enc = nn.Linear(d, 2 * k + k)
        self.dec = nn.Linear(2 * k, d)
        self.k = k

    def forward(self, x):
        h = self.enc(x)
        conc, rate, logits = h.split(self.k, dim=-1)
        q_gamma = Gamma(F.softplus(conc) + 0.2, F.softplus(rate) + 0.5)
        q_topic = Dirichlet(F.softplus(logits) + 0.3)
        z = torch.cat([q_gamma.rsample(), q_topic.rsample()], dim=-1)
        return q_gamma, q_topic, self.dec(z)


def vae_run(dtype, steps):
    vae = GammaDirichletVAE(6, 3).to(dtype)
    opt2 = torch.optim.Adam(vae.parameters(), lr=1e-2)
    x = torch.randn(5, 6, dtype=dtype)
    counts = Poisson(torch.full((5, 6), 2.5, dtype=dtype)).sample()
    gamma_prior = Gamma(torch.ones(3, dtype=dtype), torch.ones(3, dtype=dtype))
    topic_prior = Dirichlet(torch.full((3,), 0.5, dtype=dtype))
    for step in range(steps):
        q_gamma, q_topic, out = vae(x)
        noise = StudentT(torch.tensor(4.0, dtype=dtype), out, torch.ones_like(out))
        recon = noise.log_prob(x).sum(-1) + Poisson(F.softplus(out) + 1e-3).log_prob(counts).sum(-1)
        kl = kl_divergence(q_gamma, gamma_prior).sum(-1) + kl_divergence(q_topic, topic_prior)
        heavy = noise.rsample().pow(2).mean()
        loss = (kl - recon).mean() + 1e-3 * heavy
        opt2.zero_grad()
        loss.backward()
        opt2.step()
        print(str(dtype), step, round(loss.item(), 4))
    return vae


vae_run(torch.float32, 3)
vae_run(torch.float64, 2)

# Chi-square noise scale and Beta-Beta KL, float64, through autograd.grad.
df = torch.tensor([0.7, 1.0, 3.0, 12.0], dtype=torch.float64, requires_grad=True)
chi = Chi2(df).rsample((2,))
a = torch.tensor([0.4, 2.0, 9.0], dtype=torch.float64, requires_grad=True)
b = torch.tensor([1.5, 0.6, 7.0], dtype=torch.float64, requires_grad=True)
kl_ab = kl_divergence(Beta(a, b), Beta(b, a)).sum()
(g_df, g_a, g_b) = torch.autograd.grad(chi.sum() + kl_ab, [df, a, b])
print([round(v, 6) for v in g_df.tolist()], [round(v, 6) for v in g_a.tolist()])

# A success-rate model's synthetic counts.
trials = torch.tensor([10.0, 25.0, 4.0, 0.0])
rates = torch.sigmoid(torch.randn(4))
successes = Binomial(trials, probs=rates).sample()
print(successes.tolist())

# The samplers on a seeded stream of their own (as an environment or
# augmentation sampler keeps one); a Poisson draw of a rate that requires
# grad has a zero gradient (PoissonBackward0).
gen = torch.Generator().manual_seed(7)
rate = torch.tensor([0.5, 2.0, 7.0], requires_grad=True)
events = torch.poisson(rate, generator=gen)
shapes = torch._standard_gamma(rate.detach() + 1.0, generator=gen)
mixture = torch._sample_dirichlet(torch.full((2, 3), 0.7, dtype=torch.float64), generator=gen)
draws = torch.binomial(torch.full((3,), 8.0), torch.full((3,), 0.25), generator=gen)
(events * rate).sum().backward()
print(rate.grad.tolist(), events.tolist(), draws.tolist(), round(mixture.sum().item(), 6), shapes.shape)
