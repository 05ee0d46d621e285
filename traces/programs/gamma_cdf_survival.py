"""Gamma and chi-square CDFs through the regularized incomplete gamma.

A survival model fits a Gamma waiting-time distribution's log-rate by
gradient descent on a CDF-matching loss: `torch.special.gammainc(k, t·rate)`
(the lower regularized incomplete gamma, `igamma`) against empirical
quantiles, and the censored rows' survival `torch.special.gammaincc`
(`igammac`) in the log-likelihood, float32 with its gradient through the
second argument (IgammaBackward0 / IgammacBackward0, the shape fixed: its
gradient is not implemented in PyTorch). Then float64 chi-square p-values
of a goodness-of-fit statistic (`igammac(df/2, x/2)`), the special values
(`x = 0`, an infinite `x`, a zero shape) and both functions on a
broadcast grid of shapes.
"""

import torch

torch.manual_seed(0)

k = torch.tensor([0.7, 2.0, 3.5, 9.0])
t = torch.rand(4, 6) * 8 + 0.05
observed = torch.rand(4, 6)
censored = torch.rand(4, 6) > 0.7
log_rate = torch.zeros(4, 1, requires_grad=True)
opt = torch.optim.SGD([log_rate], lr=0.2)
for _ in range(3):
    opt.zero_grad()
    x = t * log_rate.exp()
    cdf = torch.special.gammainc(k[:, None], x)
    surv = torch.special.gammaincc(k[:, None], x)
    fit = (cdf - observed).pow(2).mean()
    nll = -(surv.clamp_min(1e-6).log() * censored).sum() / censored.sum()
    loss = fit + 0.1 * nll
    loss.backward()
    opt.step()

counts = torch.tensor([18.0, 25.0, 31.0, 26.0], dtype=torch.float64)
expected = torch.full((4,), 25.0, dtype=torch.float64)
stat = ((counts - expected) ** 2 / expected).sum()
dfs = torch.tensor([1.0, 2.0, 3.0, 10.0], dtype=torch.float64)
p_values = torch.igammac(dfs / 2, stat / 2)
edges = torch.igamma(
    torch.tensor([1.0, 2.0, 0.0, 3.0]), torch.tensor([0.0, float("inf"), 1.0, 40.0])
)
grid = torch.igamma(torch.linspace(0.5, 30.0, 5)[:, None], torch.linspace(0.1, 45.0, 7))
print(loss.item(), log_rate.detach().flatten().tolist())
print(p_values.tolist(), edges.tolist(), grid.sum().item())
