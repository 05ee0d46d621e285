"""Cholesky-based Gaussian likelihoods: GP regression and MultivariateNormal.

Exact Gaussian-process regression in float64 as GP tutorials write it: an
RBF kernel with learned log-lengthscale, log-signal and log-noise, `K = LLᵀ`
by `torch.linalg.cholesky`, `alpha = cholesky_solve(y, L)`, the negative log
marginal likelihood with `log|K| = 2·Σ log diag L`, and the predictive mean
and variance through `linalg.solve_triangular`; four Adam steps. Then a
float32 full-covariance Gaussian fitted by maximum likelihood with
`torch.distributions.MultivariateNormal(loc, scale_tril=...)`: `log_prob`
(batched `solve_triangular` over permuted samples) and `rsample` with the
reparameterised gradient, and `covariance_matrix=` (its argument
validation, `cholesky_ex` plus the info check). Around them: the upper
factor, a batch of factors, a batch of `linalg.solve`s with vector right-hand
sides, `torch.logdet`, `cholesky_ex` of a matrix that
is not positive-definite (the returned `info`), and `torch.linalg.cholesky`
of one raising `LinAlgError`, caught; shape, dtype and singular-matrix errors of
`cholesky`, `solve_triangular`, `solve` and `inv`, caught.
"""

import math

import torch
from torch.distributions import MultivariateNormal

torch.manual_seed(0)

x = torch.linspace(-2.0, 2.0, 12, dtype=torch.float64).unsqueeze(-1)
y = torch.sin(2.0 * x).squeeze(-1) + 0.1 * torch.randn(12, dtype=torch.float64)
x_test = torch.linspace(-2.5, 2.5, 5, dtype=torch.float64).unsqueeze(-1)
log_ls = torch.zeros((), dtype=torch.float64, requires_grad=True)
log_sf = torch.zeros((), dtype=torch.float64, requires_grad=True)
log_sn = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
opt = torch.optim.Adam([log_ls, log_sf, log_sn], lr=0.05)


def rbf(a, b):
    d2 = (a.unsqueeze(1) - b.unsqueeze(0)).pow(2).sum(-1)
    return torch.exp(2.0 * log_sf) * torch.exp(-0.5 * d2 / torch.exp(2.0 * log_ls))


for step in range(4):
    opt.zero_grad()
    K = rbf(x, x) + torch.exp(2.0 * log_sn) * torch.eye(12, dtype=torch.float64)
    L = torch.linalg.cholesky(K)
    alpha = torch.cholesky_solve(y.unsqueeze(-1), L)
    nll = 0.5 * (y.unsqueeze(-1) * alpha).sum() + torch.log(torch.diagonal(L)).sum()
    nll = nll + 6.0 * math.log(2.0 * math.pi)
    nll.backward()
    opt.step()

with torch.no_grad():
    K = rbf(x, x) + torch.exp(2.0 * log_sn) * torch.eye(12, dtype=torch.float64)
    L = torch.linalg.cholesky(K)
    Ks = rbf(x, x_test)
    v = torch.linalg.solve_triangular(L, Ks, upper=False)
    mean = v.mT @ torch.linalg.solve_triangular(L, y.unsqueeze(-1), upper=False)
    var = rbf(x_test, x_test).diagonal() - v.pow(2).sum(0)

# Maximum-likelihood fit of a full-covariance Gaussian (float32).
data = torch.randn(40, 3) @ torch.tensor([[1.0, 0.0, 0.0], [0.5, 0.8, 0.0], [-0.3, 0.2, 0.6]]) + 1.0
loc = torch.zeros(3, requires_grad=True)
raw = torch.zeros(3, 3, requires_grad=True)
opt2 = torch.optim.Adam([loc, raw], lr=0.1)
for step in range(3):
    opt2.zero_grad()
    scale_tril = torch.tril(raw, -1) + torch.diag_embed(torch.nn.functional.softplus(torch.diagonal(raw)) + 0.5)
    dist = MultivariateNormal(loc, scale_tril=scale_tril)
    loss = -dist.log_prob(data).mean()
    sample = dist.rsample((4,))
    loss = loss + 0.01 * sample.pow(2).mean()
    loss.backward()
    opt2.step()

cov = torch.tensor([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 0.5]], requires_grad=True)
mvn = MultivariateNormal(torch.zeros(3), covariance_matrix=cov)
mvn.log_prob(data[:6]).sum().backward()

# The upper factor, a batch of factors, logdet.
A = torch.randn(2, 4, 4, dtype=torch.float64)
S = (A @ A.mT + 4.0 * torch.eye(4, dtype=torch.float64)).requires_grad_()
U = torch.linalg.cholesky(S, upper=True)
B = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
X = torch.cholesky_solve(B, U, upper=True)
Z = torch.linalg.solve_triangular(U, B, upper=True, left=True)
W = torch.linalg.solve_triangular(U, B.mT, upper=True, left=False)
(X.sum() + Z.pow(2).sum() + W.sum() + torch.logdet(S).sum()).backward()

# A batch of systems with vector right-hand sides (whitening by solve).
Ab = (torch.randn(3, 4, 4) + 4.0 * torch.eye(4)).requires_grad_()
bb = torch.randn(3, 4, requires_grad=True)
torch.linalg.solve(Ab, bb).pow(2).sum().backward()

bad = torch.tensor([[1.0, 2.0], [2.0, 1.0]])
L_bad, info = torch.linalg.cholesky_ex(bad)
try:
    torch.linalg.cholesky(bad)
except torch.linalg.LinAlgError as e:
    caught = str(e)
batch = torch.stack([torch.eye(2), bad])
try:
    torch.linalg.cholesky(batch)
except torch.linalg.LinAlgError as e:
    caught_batch = str(e)
errors = []
for bad_call in (
    lambda: torch.linalg.cholesky(torch.randn(3, 4)),
    lambda: torch.linalg.cholesky(torch.ones(2, 2, dtype=torch.long)),
    lambda: torch.linalg.solve_triangular(torch.eye(3), torch.randn(4, 2), upper=False),
    lambda: torch.linalg.solve(torch.zeros(3, 3), torch.randn(3)),
    lambda: torch.linalg.inv(torch.zeros(2, 3, 3)),
):
    try:
        bad_call()
    except (RuntimeError, NotImplementedError) as e:
        errors.append(type(e).__name__)

print(float(nll), mean.squeeze(-1).tolist(), var.tolist(), float(loss), cov.grad.tolist(),
      S.grad.sum().item(), B.grad.sum().item(), bb.grad.tolist(), L_bad.tolist(), info.item(), caught, caught_batch, errors)
