"""The in-place draws of `Tensor`'s random methods that ordinary training
code reaches: `geometric_` (SpanBERT-style span lengths, into int64 and
float32 tensors), `log_normal_` (multiplicative embedding jitter, float32
and float64), `cauchy_` (`Cauchy.rsample`, `HalfCauchy.rsample` and
heavy-tailed evolution-strategy perturbations), with and without a seeded
`torch.Generator`; then PyTorch's refusals of bad arguments, caught.
"""

import torch
import torch.distributions as D
from torch import nn

torch.manual_seed(0)
gen = torch.Generator().manual_seed(1234)

# Span masking: span lengths ~ Geometric(0.2) clipped to 6, starts uniform.
vocab, seq_len, batch = 40, 20, 3
emb = nn.Embedding(vocab + 1, 12)  # the last id is [MASK]
head = nn.Linear(12, vocab)
opt = torch.optim.AdamW(list(emb.parameters()) + list(head.parameters()), lr=1e-2)
tokens = torch.randint(0, vocab, (batch, seq_len))
pos = torch.arange(seq_len)
for step in range(2):
    lengths = torch.empty(batch, 3, dtype=torch.long).geometric_(0.2, generator=gen).clamp_(max=6)
    starts = torch.randint(0, seq_len - 6, (batch, 3), generator=gen)
    mask = ((pos >= starts[..., None]) & (pos < (starts + lengths)[..., None])).any(1)
    h = emb(tokens.masked_fill(mask, vocab))
    jitter = torch.empty_like(h).log_normal_(0.0, 0.05)
    logits = head(h * jitter)
    loss = nn.functional.cross_entropy(logits[mask], tokens[mask])
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"span step {step}: {mask.sum().item()} masked, loss {loss.item():.4f}")

# Robust regression with a Cauchy likelihood and a HalfCauchy prior on the
# noise scale; the scale's variational sample by HalfCauchy.rsample.
x = torch.linspace(-2, 2, 24)
y = 1.5 * x - 0.3 + 0.1 * torch.empty(24).cauchy_(generator=gen)
params = torch.zeros(3, requires_grad=True)  # slope, intercept, log scale
opt2 = torch.optim.Adam([params], lr=0.05)
for step in range(3):
    slope, intercept, log_scale = params.unbind()
    scale = log_scale.exp() * D.HalfCauchy(torch.tensor(0.1)).rsample((1,)).squeeze(0).add(1.0)
    loc_noise = D.Cauchy(torch.zeros(2), torch.full((2,), 0.01)).rsample()
    pred = (slope + loc_noise[0]) * x + intercept + loc_noise[1]
    nll = -D.Cauchy(pred, scale).log_prob(y).mean()
    prior = -D.HalfCauchy(torch.tensor(1.0)).log_prob(scale)
    loss = nll + 0.01 * prior
    opt2.zero_grad()
    loss.backward()
    opt2.step()
    print(f"regression step {step}: loss {loss.item():.4f}")

# Evolution strategies with heavy-tailed (Cauchy) perturbations, float64.
theta = torch.zeros(4, dtype=torch.float64)
target = torch.tensor([0.5, -1.0, 2.0, 0.0], dtype=torch.float64)
for step in range(2):
    eps = torch.empty(6, 4, dtype=torch.float64).cauchy_(0.0, 0.1, generator=gen)
    fitness = -((theta + eps - target) ** 2).sum(1)
    weights = (fitness - fitness.mean()) / (fitness.std() + 1e-8)
    theta = theta + 0.05 * (weights[:, None] * eps.clamp(-1, 1)).mean(0)
print("es theta", [round(v, 4) for v in theta.tolist()])

# Float64 jitter, geometric draws into float32 and int32 tensors, a median.
print(torch.empty(3, dtype=torch.float64).log_normal_(1.0, 0.5, generator=gen).sum().item())
print(torch.empty(4).geometric_(0.5).tolist(), torch.empty(4, dtype=torch.int32).geometric_(0.7, generator=gen).tolist())
print(torch.empty(3).cauchy_(2.0, 0.5).median().item())

for bad in (
    lambda: torch.empty(2).cauchy_(0.0, 0.0),
    lambda: torch.empty(2, dtype=torch.long).cauchy_(),
    lambda: torch.empty(2).log_normal_(1.0, -1.0),
    lambda: torch.empty(2, dtype=torch.long).log_normal_(),
    lambda: torch.empty(2).geometric_(1.0),
    lambda: torch.empty(2, dtype=torch.bool).geometric_(0.5),
):
    try:
        bad()
    except (RuntimeError, NotImplementedError) as e:
        print("refused:", str(e).splitlines()[0])
