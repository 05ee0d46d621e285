"""The LU family: a normalizing flow that factors its learned matrix once.

A Glow-style invertible linear flow in float64: a learned 6x6 mixing matrix
`W` (identity plus a learned perturbation) is factored once per step by
`torch.linalg.lu_factor` (`linalg_lu_factor_ex` + `_linalg_check_errors`,
LinalgLuFactorExBackward0: `lu_unpack` of the factors, the packed gradient
split by `narrow` into L's and U's, `linalg_lu_backward`'s triangular
solves and the product with `P`), and the factor is reused: the inverse pass
`z = W⁻¹x` by `linalg.lu_solve` (LinalgLuSolveBackward0 on both the factor
and the right-hand side), a transposed solve (`adjoint=True`) and a
right-hand solve (`left=False`) of a whitening penalty, and
`log|det W|` as the sum of `log|diag(U)|` of the packed factor; three Adam
steps on the Gaussian negative log-likelihood. The same flow in float32 on
a batch of two matrices (`torch.linalg.lu_factor_ex`, pivots and `info`
read back, a right-hand adjoint solve). Then `torch.linalg.lu` of a tall
6x4 and a wide 3x5 matrix with a loss on L and U (LinalgLuBackward0, its
tall and wide branches) and the packed factor of the wide one,
`torch.lu_unpack` of a batched factor with losses on L only, U only and
both (LuUnpackBackward0), the deprecated `torch.lu` (`get_infos=True`).
Singular input: `lu_factor_ex` reports `info = 3`; `linalg.lu_factor` of
it, alone and in a batch, raises the RuntimeError naming `U[3,3]`, caught;
`pivot=False` is refused on the CPU, caught.
"""

import torch
from torch import nn

torch.manual_seed(0)


class LinearFlow(nn.Module):
    """z = W⁻¹ x with W = I + V, log|det W| from the LU factor."""

    def __init__(self, d, dtype):
        super().__init__()
        self.v = nn.Parameter(0.3 * torch.randn(d, d, dtype=dtype))
        self.shift = nn.Parameter(torch.zeros(d, dtype=dtype))

    def forward(self, x):
        w = torch.eye(self.v.shape[-1], dtype=self.v.dtype) + self.v
        lu, piv = torch.linalg.lu_factor(w)
        z = torch.linalg.lu_solve(lu, piv, (x - self.shift).mT).mT
        logdet = lu.diagonal(dim1=-2, dim2=-1).abs().log().sum(-1)
        return z, logdet, lu, piv


def nll(z, logdet):
    return 0.5 * (z * z).sum(-1).mean() - logdet


flow = LinearFlow(6, torch.float64)
opt = torch.optim.Adam(flow.parameters(), lr=0.05)
x = torch.randn(32, 6, dtype=torch.float64) @ torch.randn(6, 6, dtype=torch.float64)
target = torch.randn(6, 3, dtype=torch.float64)
for step in range(3):
    opt.zero_grad()
    z, logdet, lu, piv = flow(x)
    loss = nll(z, logdet)
    # The same factor again: Wᵀ y = t and X W = Tᵀ.
    y = torch.linalg.lu_solve(lu, piv, target, adjoint=True)
    r = torch.linalg.lu_solve(lu, piv, target.mT, left=False)
    loss = loss + 0.01 * (y.square().mean() + r.square().mean())
    loss.backward()
    opt.step()
print("flow nll", loss.item())

# float32, a batch of two flows' matrices through lu_factor_ex.
v32 = (0.3 * torch.randn(2, 5, 5)).requires_grad_()
w32 = torch.eye(5) + v32
lu32, piv32, info32 = torch.linalg.lu_factor_ex(w32)
print("pivots", piv32.tolist(), "info", info32.tolist())
x32 = torch.randn(2, 5, 4)
z32 = torch.linalg.lu_solve(lu32, piv32, x32)
ld32 = lu32.diagonal(dim1=-2, dim2=-1).abs().log().sum()
# Row vectors against the transposed factors: y Wᵀ = r.
r32 = torch.linalg.lu_solve(lu32, piv32, torch.randn(2, 3, 5), left=False, adjoint=True)
(z32.square().mean() - ld32 + 0.1 * r32.sum()).backward()
print("float32 grad", v32.grad.norm().item())

# linalg.lu of rectangular matrices: losses on L and U.
tall = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
perm, lower, upper = torch.linalg.lu(tall)
(lower.square().sum() + upper.sum()).backward()
wide = torch.randn(3, 5, requires_grad=True)
perm, lower, upper = torch.linalg.lu(wide)
(lower.sum() + (upper * torch.arange(5.0)).sum()).backward()
# The packed factor of a wide matrix (LinalgLuFactorExBackward0's wide branch).
lu_w, piv_w = torch.linalg.lu_factor(wide)
(lu_w * torch.linspace(-1.0, 1.0, 15).view(3, 5)).sum().backward()
print("lu grads", tall.grad.abs().sum().item(), wide.grad.abs().sum().item())

# lu_unpack of a batched factor: L only, U only, both.
batch = torch.randn(3, 4, 4, dtype=torch.float64)
lu_b, piv_b = torch.linalg.lu_factor(batch)
lu_b = lu_b.detach().requires_grad_()
perm, lower, upper = torch.lu_unpack(lu_b, piv_b)
assert torch.allclose(perm @ lower @ upper, batch)
lower.sum().backward()
perm, lower, upper = torch.lu_unpack(lu_b, piv_b)
upper.square().sum().backward()
perm, lower, upper = torch.lu_unpack(lu_b, piv_b)
(lower.mean() + upper.mean()).backward()
print("unpack grad", lu_b.grad.sum().item())

# The deprecated torch.lu dispatches linalg_lu_factor_ex.
lu_old, piv_old, info_old = torch.lu(batch[0], get_infos=True)
print("torch.lu info", info_old.item())

# Singular input: info > 0; lu_factor raises.
sing = torch.tensor([[2.0, 1.0, 0.0], [4.0, 2.0, 0.0], [1.0, 3.0, 0.0]])
lu_s, piv_s, info_s = torch.linalg.lu_factor_ex(sing)
print("singular info", info_s.item(), piv_s.tolist())
for a in (sing, torch.stack([torch.eye(3), sing])):
    try:
        torch.linalg.lu_factor(a)
    except RuntimeError as e:
        print("caught:", str(e).splitlines()[0][:60])
try:
    torch.linalg.lu_factor(batch[0], pivot=False)
except RuntimeError as e:
    print("caught:", e)
