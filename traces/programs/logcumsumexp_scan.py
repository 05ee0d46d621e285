"""`torch.logcumsumexp` forward and backward (LogcumsumexpBackward0).

A log-space cumulative attention normaliser: scores are turned into causal
weights `exp(s_t - logcumsumexp(s)_t)` and pooled over time; a small linear
model is trained two SGD steps through it. Around it: `logcumsumexp` over
dim 0 and a negative dim, float64, large and `-inf` (masked) scores, and a
gradient with positive, negative and zero entries (the backward splits the
gradient by sign in log space: `abs`, `log`, `gt`/`lt`, `where` with the
dtype's lowest value, flip/logcumsumexp/flip, `exp`).
"""

import torch

torch.manual_seed(0)
model = torch.nn.Linear(6, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
features = torch.randn(4, 7, 6)
target = torch.randn(4, 6)
for _ in range(2):
    opt.zero_grad()
    scores = model(features).squeeze(-1)
    log_norm = torch.logcumsumexp(scores, dim=1)
    weights = torch.exp(scores - log_norm)
    pooled = (weights.unsqueeze(-1) * features).mean(dim=1)
    loss = ((pooled - target) ** 2).mean()
    loss.backward()
    opt.step()

x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
y = torch.logcumsumexp(x, dim=0)
(y * torch.randn(5, 3, dtype=torch.float64)).sum().backward()

big = torch.tensor(
    [[80.0, -80.0, 100.0, 3.0], [0.0, 0.0, 0.0, 0.0]], requires_grad=True
)
mask = torch.tensor([[False, True, False, False], [True, False, False, True]])
masked = big.masked_fill(mask, float("-inf"))
out = torch.logcumsumexp(masked, dim=-1)
weights = torch.tensor([[1.0, -2.0, 0.0, 0.5], [0.0, 1.5, -1.0, 2.0]])
(out * weights).sum().backward()
print(float(loss), big.grad.tolist())
