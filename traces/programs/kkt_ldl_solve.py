"""Equality-constrained quadratic programs solved through their KKT system
with `torch.linalg.ldl_factor` / `ldl_solve`.

The KKT matrix `[[H, Aᵀ], [A, 0]]` of `min ½xᵀHx + gᵀx s.t. Ax = b` is
symmetric but indefinite, so Cholesky does not apply and people factor it
with the Bunch-Kaufman LDLᵀ (LAPACK's `sytrf`, then `sytrs`): its zero
block forces row/column interchanges and 2×2 pivots (negative `pivots`).
Here, in float64: a portfolio-style fit of simplex-constrained weights by
a few sequential-QP steps, each factoring the KKT matrix of the current
Gauss-Newton model; then a batch of float32 KKT systems broadcast over one
right-hand side, `ldl_factor_ex` (pivots and `info`), a matrix taking
both pivot kinds, `hermitian=True`, the NotImplemented node of a factor that requires
grad (backward raises, caught), one factored in 2×2, 1×1 and 2×2
blocks (float64 and float32), and the shape and dtype errors of both
operators, caught.
"""

import torch

torch.manual_seed(13)
dt = torch.float64

# Fit weights w (Σw = 1, w₀ = 2·w₁) to noisy mixtures of four sources by
# sequential KKT solves of the Gauss-Newton model of a softplus link.
sources = torch.randn(30, 4, dtype=dt)
w_true = torch.tensor([0.4, 0.2, 0.3, 0.1], dtype=dt)
target = torch.nn.functional.softplus(sources @ w_true) + 0.01 * torch.randn(30, dtype=dt)
A = torch.tensor([[1.0, 1.0, 1.0, 1.0], [1.0, -2.0, 0.0, 0.0]], dtype=dt)
b = torch.tensor([1.0, 0.0], dtype=dt)
w = torch.full((4,), 0.25, dtype=dt)
for it in range(4):
    z = sources @ w
    r = torch.nn.functional.softplus(z) - target
    J = torch.sigmoid(z).unsqueeze(-1) * sources
    H = J.T @ J + 1e-3 * torch.eye(4, dtype=dt)
    g = J.T @ r
    K = torch.cat(
        [torch.cat([H, A.T], 1), torch.cat([A, torch.zeros(2, 2, dtype=dt)], 1)], 0
    )
    rhs = torch.cat([-g, b - A @ w]).unsqueeze(-1)
    LD, pivots = torch.linalg.ldl_factor(K)
    step = torch.linalg.ldl_solve(LD, pivots, rhs).squeeze(-1)
    w = w + step[:4]
    print(f"step {it}: loss {0.5 * r.pow(2).sum().item():.6f} pivots {pivots.tolist()}")
print("constraint residual", (A @ w - b).abs().max().item())

# A batch of float32 KKT systems (one constraint each) against one
# right-hand side, broadcast over the batch.
Hb = torch.randn(3, 3, 3)
Hb = Hb @ Hb.mT + torch.eye(3)
Ab = torch.randn(3, 1, 3)
Kb = torch.cat(
    [torch.cat([Hb, Ab.mT], 2), torch.cat([Ab, torch.zeros(3, 1, 1)], 2)], 1
)
LDb, pivb, info = torch.linalg.ldl_factor_ex(Kb)
xb = torch.linalg.ldl_solve(LDb, pivb, torch.ones(4, 2))
print(pivb.tolist(), info.tolist(), (Kb @ xb - 1).abs().max().item())

# A matrix needing both kinds of pivot: a 1×1 with an interchange and a
# 2×2 block; hermitian=True is the same factorization for real input.
M = torch.tensor(
    [[1.0, 2.0, 3.0, 0.5], [2.0, 0.5, 1.0, 0.0], [3.0, 1.0, -2.0, 1.0], [0.5, 0.0, 1.0, 0.0]],
    dtype=dt,
)
LDm, pivm = torch.linalg.ldl_factor(M, hermitian=True)
xm = torch.linalg.ldl_solve(LDm, pivm, torch.eye(4, dtype=dt), hermitian=True)
print(pivm.tolist(), (M @ xm - torch.eye(4, dtype=dt)).abs().max().item())
S = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
print(torch.linalg.ldl_factor_ex(S).pivots.tolist())
# A small-diagonal KKT matrix whose factorization is 2×2, 1×1, 2×2 blocks
# (pivots [-2, -2, 3, -5, -5]), solved in float64 and float32.
Q = torch.tensor(
    [
        [0.5, 2.0, 0.1, 1.0, 0.0],
        [2.0, 0.2, 0.3, 0.0, 1.0],
        [0.1, 0.3, 3.0, 1.0, 1.0],
        [1.0, 0.0, 1.0, 0.0, 0.0],
        [0.0, 1.0, 1.0, 0.0, 0.0],
    ],
    dtype=dt,
)
rhs_q = torch.randn(5, 2, dtype=dt)
for q, r in ((Q, rhs_q), (Q.float(), rhs_q.float())):
    LDq, pivq = torch.linalg.ldl_factor(q)
    xq = torch.linalg.ldl_solve(LDq, pivq, r)
    print(pivq.tolist(), (q @ xq - r).abs().max().item())

# Neither operator has a derivative: a factor of a matrix that requires
# grad records PyTorch's NotImplemented node, and backward raises.
Hg = torch.tensor([[2.0, 1.0], [1.0, -3.0]], requires_grad=True)
LDg, pivg = torch.linalg.ldl_factor(Hg)
xg = torch.linalg.ldl_solve(LDg, pivg, torch.ones(2, 1))
try:
    xg.sum().backward()
except RuntimeError as e:
    print(type(e).__name__, e)

for bad in (
    lambda: torch.linalg.ldl_factor(torch.randn(3, 4)),
    lambda: torch.linalg.ldl_factor(torch.randn(3)),
    lambda: torch.linalg.ldl_factor(torch.ones(3, 3, dtype=torch.long)),
    lambda: torch.linalg.ldl_factor(torch.eye(3, dtype=torch.bfloat16)),
    lambda: torch.linalg.ldl_solve(LDm, pivm, torch.ones(3, 2, dtype=dt)),
    lambda: torch.linalg.ldl_solve(LDm, pivm, torch.ones(4, 2)),
):
    try:
        bad()
    except (RuntimeError, NotImplementedError) as e:
        print(type(e).__name__, str(e).splitlines()[0])
