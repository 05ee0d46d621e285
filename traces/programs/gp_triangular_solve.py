"""Exact GP regression through the older `torch.triangular_solve`.

Many Gaussian-process tutorials and older GP code whiten with
`torch.triangular_solve(B, A)` (arguments reversed with respect to
`linalg.solve_triangular`, returning `(solution, cloned_coefficient)`)
rather than `linalg.solve_triangular`. Here, in float64: an ARD RBF kernel
through `cdist` of softplus-scaled inputs, `K = UᵀU` by
`linalg.cholesky(upper=True)`, `z = U⁻ᵀy` by `triangular_solve(...,
upper=True, transpose=True)` and the negative log marginal likelihood
`½‖z‖² + Σ log diag U`, fitted by LBFGS with the strong-Wolfe line search;
then the predictive mean and variance with a lower factor
(`transpose=False`), a unit-triangular solve against a batch of factors
broadcast over one right-hand side, a solve whose factor needs no gradient,
a gradient reaching only the returned copy of `A`, and float32. Shape and
dtype errors of `triangular_solve`, caught.
"""

import math

import torch
import torch.nn.functional as F

torch.manual_seed(3)
dt = torch.float64
n = 8
X = torch.rand(n, 2, dtype=dt) * 4 - 2
y = torch.sin(X[:, 0]) * torch.cos(X[:, 1]) + 0.05 * torch.randn(n, dtype=dt)
X_test = torch.rand(3, 2, dtype=dt) * 4 - 2
raw_ls = torch.zeros(2, dtype=dt, requires_grad=True)
raw_os = torch.zeros((), dtype=dt, requires_grad=True)
raw_noise = torch.tensor(-2.0, dtype=dt, requires_grad=True)


def rbf(a, b):
    ls = F.softplus(raw_ls)
    d = torch.cdist(a / ls, b / ls)
    return F.softplus(raw_os) * torch.exp(-0.5 * d.pow(2))


def gram():
    jitter = F.softplus(raw_noise) + 1e-6
    return rbf(X, X) + jitter * torch.eye(n, dtype=dt)


def neg_log_marginal():
    U = torch.linalg.cholesky(gram(), upper=True)
    z = torch.triangular_solve(y.unsqueeze(-1), U, upper=True, transpose=True).solution
    return 0.5 * z.pow(2).sum() + U.diagonal().log().sum() + 0.5 * n * math.log(2 * math.pi)


opt = torch.optim.LBFGS(
    [raw_ls, raw_os, raw_noise], lr=0.5, max_iter=4, line_search_fn="strong_wolfe"
)


def closure():
    opt.zero_grad()
    loss = neg_log_marginal()
    loss.backward()
    return loss


opt.step(closure)
print(f"nlml {neg_log_marginal().item():.6f}")

# Predictive mean and variance with the lower factor: v = L⁻¹K*, α = L⁻ᵀL⁻¹y.
L = torch.linalg.cholesky(gram())
Ks = rbf(X, X_test)
v, L_copy = torch.triangular_solve(Ks, L, upper=False)
w = torch.triangular_solve(y.unsqueeze(-1), L, upper=False).solution
alpha = torch.triangular_solve(w, L, upper=False, transpose=True).solution
mean = Ks.T @ alpha
var = F.softplus(raw_os) - v.pow(2).sum(0)
(mean.sum() + var.sum()).backward()
print(mean.squeeze(-1), var)

# A batch of unit lower factors broadcast over one right-hand side; the
# factors take a gradient through the solution and through the copy.
T = torch.randn(2, 4, 4, dtype=dt).tril(-1).mul(0.3).requires_grad_()
rhs = torch.randn(4, 3, dtype=dt, requires_grad=True)
sol, copy = torch.triangular_solve(rhs, T, upper=False, unitriangular=True)
(sol.pow(2).sum() + copy.sum()).backward()

# Only the copy of A reaches the loss.
A = (torch.randn(3, 3, dtype=dt).triu() + 3 * torch.eye(3, dtype=dt)).requires_grad_()
b = torch.randn(3, 2, dtype=dt, requires_grad=True)
_, A_copy = torch.triangular_solve(b, A)
(A_copy * A_copy).sum().backward()

# The factor needs no gradient (a fixed whitening matrix), float32.
W = torch.randn(5, 5).triu() + 4 * torch.eye(5)
feats = torch.randn(5, 4, requires_grad=True)
white = torch.triangular_solve(feats, W, upper=True).solution
white.pow(2).mean().backward()

for bad in (
    lambda: torch.triangular_solve(torch.randn(3, 2), torch.randn(4, 4)),
    lambda: torch.triangular_solve(torch.randn(3, 2), torch.randn(3, 4)),
    lambda: torch.triangular_solve(torch.randn(3, 2, dtype=dt), torch.randn(3, 3)),
    lambda: torch.triangular_solve(torch.ones(3, 2, dtype=torch.long), torch.ones(3, 3, dtype=torch.long)),
):
    try:
        bad()
    except RuntimeError as e:
        print(type(e).__name__, str(e).splitlines()[0])
