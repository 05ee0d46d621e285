"""Nonsymmetric eigendecompositions in training (`torch.linalg.eig` and
`eigvals`, both one `linalg_eig` call with a LinalgEigBackward0 node).

A float64 recurrent weight matrix kept stable by a spectral-radius
penalty on its eigenvalues' squared moduli (`eigvals` backward: one
`linalg_solve(Vᴴ, gL·Vᴴ)`), a batch of float32 linear dynamical systems
pushed towards stability by a hinge on the eigenvalues' real parts, the
roots of a learnable cubic as the eigenvalues of its companion matrix
(balancing scales and permutes it), and a phase-invariant loss on a
batch of eigenvectors (`|v|²` weighted per row) in float64 and float32,
through the full formula (`Vᴴ·gV` projected, divided by the conjugate
eigenvalue gaps, solved against `Vᴴ`); real inputs get the real part of
the complex gradient. Complex-conjugate pairs come out positive
imaginary part first, each eigenvector of unit norm with its largest
component real, as LAPACK's `geev` leaves them. The shape and
non-finite input errors of `linalg.eig` are caught. SGD throughout.
"""

import torch

torch.manual_seed(0)

# A recurrent weight matrix regularised towards spectral radius < 1.
w = (torch.randn(6, 6, dtype=torch.float64) * 0.5).requires_grad_()
x = torch.randn(8, 6, dtype=torch.float64)
target = torch.randn(8, 6, dtype=torch.float64)
opt = torch.optim.SGD([w], lr=0.05)
for _ in range(3):
    h = torch.tanh(x @ w.T)
    ev = torch.linalg.eigvals(w)
    penalty = torch.relu(ev.abs() ** 2 - 0.8).sum()
    loss = (h - target).pow(2).mean() + 0.1 * penalty
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())

# A batch of float32 linear dynamical systems x' = A x made stable.
a = (torch.randn(3, 4, 4) * 0.6 + 0.3 * torch.eye(4)).requires_grad_()
opt = torch.optim.SGD([a], lr=0.1)
for _ in range(2):
    lam = torch.linalg.eigvals(a)
    hinge = torch.relu(lam.real + 0.1).sum()
    opt.zero_grad()
    hinge.backward()
    opt.step()
print(hinge.item())

# Roots of x^3 + c2 x^2 + c1 x + c0 from the companion matrix.
coef = torch.tensor([-7.0, 12.5, -6.5], dtype=torch.float64, requires_grad=True)
sub = torch.cat([torch.zeros(1, 2, dtype=torch.float64), torch.eye(2, dtype=torch.float64)])
companion = torch.cat([sub, -coef.unsqueeze(1)], dim=1)
roots = torch.linalg.eigvals(companion)
spread = (roots.abs() ** 2).sum()
spread.backward()
print(roots, coef.grad)
cubic = torch.tensor([[0.0, 0.0, -2.0], [1.0, 0.0, 1e3], [0.0, 1.0, 1e-3]], dtype=torch.float64)
print(torch.linalg.eigvals(cubic))

# Eigenvectors under a loss that ignores their phase.
for dtype, n in ((torch.float64, 5), (torch.float32, 3)):
    m = (torch.randn(2, n, n, dtype=dtype) + 3 * torch.eye(n, dtype=dtype)).requires_grad_()
    weights = torch.linspace(0.5, 1.5, n, dtype=dtype)
    vals, vecs = torch.linalg.eig(m)
    phase_free = (vecs.abs() ** 2 * weights[:, None]).sum() + vals.real.sum()
    phase_free.backward()
    print(m.grad.norm().item())

# A triangular matrix (isolated by the balancing) and a rotation.
print(torch.linalg.eig(torch.triu(torch.randn(4, 4, dtype=torch.float64))))
print(torch.linalg.eig(torch.tensor([[0.0, -1.0], [1.0, 0.0]])))

caught = []
for bad in (torch.randn(2, 3), torch.tensor([[1.0, float("nan")], [0.0, 1.0]])):
    try:
        torch.linalg.eig(bad)
    except RuntimeError as e:
        caught.append(str(e).split(":")[0])
print(caught)
