"""Gaussian-process precision matrices through `torch.cholesky_inverse`.

Exact GP regression in float64 with learned log-lengthscale and log-noise:
`K = LLᵀ` by `torch.linalg.cholesky`, the precision `K⁻¹ =
cholesky_inverse(L)` (CholeskyInverseBackward0: `C = g + gᵀ`, `K⁻¹·C·K⁻¹`,
times `L`), the posterior mean `k*ᵀK⁻¹y` and the leave-one-out residuals
`(K⁻¹y)_i / (K⁻¹)_ii` as the loss; three Adam steps. Then a float32 batch
of upper factors (`upper=True`, `−U·C`), a Mahalanobis distance through
the precision, `cholesky_inverse` of a diagonal factor under `no_grad`,
and the square-matrix error, caught.
"""

import torch

torch.manual_seed(0)

x = torch.linspace(-2.0, 2.0, 8, dtype=torch.float64).unsqueeze(-1)
y = torch.sin(1.5 * x).squeeze(-1) + 0.1 * torch.randn(8, dtype=torch.float64)
x_test = torch.tensor([[-1.0], [0.3]], dtype=torch.float64)
log_ls = torch.zeros((), dtype=torch.float64, requires_grad=True)
log_noise = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
opt = torch.optim.Adam([log_ls, log_noise], lr=0.05)


def rbf(a, b):
    return torch.exp(-0.5 * torch.cdist(a, b) ** 2 / torch.exp(2 * log_ls))


for step in range(3):
    opt.zero_grad()
    K = rbf(x, x) + torch.exp(log_noise) * torch.eye(8, dtype=torch.float64)
    L = torch.linalg.cholesky(K)
    P = torch.cholesky_inverse(L)
    alpha = P @ y
    loo = alpha / torch.diagonal(P)
    mean = rbf(x_test, x) @ alpha
    loss = (loo**2).mean() + 0.01 * mean.pow(2).sum()
    loss.backward()
    opt.step()
    print(f"step {step}: loo {loss.item():.5f}")

# A float32 batch of upper factors and a Mahalanobis distance.
M = torch.randn(3, 4, 4)
S = M @ M.transpose(-1, -2) + 4 * torch.eye(4)
U = torch.linalg.cholesky(S, upper=True).detach().requires_grad_()
prec = torch.cholesky_inverse(U, upper=True)
d = torch.randn(3, 4, 1)
maha = (d.transpose(-1, -2) @ prec @ d).squeeze()
maha.sum().backward()
print("maha", maha.tolist(), U.grad.abs().sum().item())

with torch.no_grad():
    diag = torch.diag(torch.tensor([1.0, 2.0, 4.0]))
    print("diag", torch.cholesky_inverse(diag).diagonal().tolist())

try:
    torch.cholesky_inverse(torch.randn(2, 3))
except RuntimeError as e:
    print("error", str(e).splitlines()[0])
