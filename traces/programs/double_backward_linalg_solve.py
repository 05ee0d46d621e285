"""Second derivatives through linear solves and log-determinants, as a
Gaussian-process marginal likelihood's Hessian or a Newton step on a
kernel's parameters takes them: with `create_graph=True`,
LinalgSolveExBackward0 and LinalgSlogdetBackward0 solve again with
`linalg_solve(Aᴴ, ·)` (`_linalg_solve_ex` and `_linalg_check_errors`, each
recorded) instead of reusing the forward's LU factors, so the first
gradient is itself differentiable — for a matrix and a vector right-hand
side, a right solve (`left=False`), `slogdet` and `logdet`, and the Hessian
of a GP's negative log marginal likelihood in its two hyperparameters.
"""

import torch
from torch.autograd.functional import hessian

torch.manual_seed(0)
D = torch.float64


def spd(m):
    return m @ m.mT + 3 * torch.eye(m.shape[-1], dtype=D)


def penalise(fn, *inputs):
    out = fn(*inputs)
    weights = torch.randn(out.shape, dtype=D)
    grads = torch.autograd.grad((out * weights).sum(), inputs, create_graph=True)
    sum(g.pow(2).sum() for g in grads).backward()


A = (torch.randn(3, 3, dtype=D) + 2 * torch.eye(3, dtype=D)).requires_grad_()
B = torch.randn(3, 2, dtype=D, requires_grad=True)
b = torch.randn(3, dtype=D, requires_grad=True)
penalise(lambda a, r: torch.linalg.solve(a, r), A, B)
penalise(lambda a, r: torch.linalg.solve(a, r), A, b)
penalise(lambda a, r: torch.linalg.solve(a, r, left=False), A, B.mT.contiguous())
penalise(lambda a: torch.linalg.slogdet(a).logabsdet, A)
penalise(lambda a: torch.logdet(spd(a)), A)

# A GP's negative log marginal likelihood in (log lengthscale, log noise).
x = torch.linspace(-1.0, 1.0, 5, dtype=D)
y = torch.sin(3 * x)


def nlml(theta):
    ls, noise = theta.exp().unbind()
    K = torch.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / ls**2) + noise * torch.eye(5, dtype=D)
    alpha = torch.linalg.solve(K, y)
    return 0.5 * (y @ alpha) + 0.5 * torch.linalg.slogdet(K).logabsdet


H = hessian(nlml, torch.tensor([0.1, -1.0], dtype=D))
print(A.grad.sum().item(), B.grad.sum().item(), H)
