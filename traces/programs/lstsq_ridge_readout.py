"""Least-squares readouts trained end to end through `torch.linalg.lstsq`.

A float32 random-feature regressor: a learnable `Linear(3, 6)` + tanh
feature map whose readout weights are the closed-form ridge solution,
`torch.linalg.lstsq` of the features stacked on `sqrt(lambda)·I` against
the targets padded with zeros (default driver `gelsy`, LinalgLstsqBackward0
through `linalg_pinv` and `pinv_backward` into both the features and the
targets); three Adam steps on the held-out error. Then a batch of two
float64 least-squares heads with vector right-hand sides (the vector case:
`gX` and `B` unsqueezed, the `B` gradient squeezed back), an
underdetermined system's minimum-norm solution, a rank-deficient design
(`rank` below `n`) with an explicit `rcond`, the drivers `gels` (residuals
of an overdetermined system), `gelsd` and `gelss` (singular values, rank),
the residuals' gradient (`gels` with both outputs used, a `gelsd` vector
system), a frozen design with only the targets requiring grad, and the shape,
driver and dtype errors, caught.
"""

import torch

torch.manual_seed(0)

x_train = torch.linspace(-1.0, 1.0, 10).unsqueeze(-1) * torch.tensor([1.0, -0.5, 0.25])
y_train = torch.sin(2.0 * x_train[:, :1]) + 0.05 * torch.randn(10, 1)
x_val = torch.randn(4, 3) * 0.5
y_val = torch.sin(2.0 * x_val[:, :1])

features = torch.nn.Linear(3, 6)
log_lam = torch.nn.Parameter(torch.tensor(-2.0))
opt = torch.optim.Adam(list(features.parameters()) + [log_lam], lr=0.02)

for step in range(3):
    opt.zero_grad()
    phi = torch.tanh(features(x_train))
    ridge = torch.exp(0.5 * log_lam) * torch.eye(6)
    design = torch.cat([phi, ridge], 0)
    target = torch.cat([y_train, torch.zeros(6, 1)], 0)
    w = torch.linalg.lstsq(design, target).solution
    pred = torch.tanh(features(x_val)) @ w
    loss = torch.nn.functional.mse_loss(pred, y_val)
    loss.backward()
    opt.step()
    print(f"step {step}: val {loss.item():.5f}")

# Two float64 heads with vector targets; both operands require grad.
A = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
b = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)
sol = torch.linalg.lstsq(A, b)
(sol.solution ** 2).sum().backward()
print("heads", sol.solution.shape, sol.rank.tolist(), A.grad.norm().item(), b.grad.norm().item())

# Underdetermined: the minimum-norm solution.
U = torch.randn(2, 4, requires_grad=True)
ub = torch.randn(2, 2)
xu = torch.linalg.lstsq(U, ub).solution
xu.sum().backward()
print("under", xu.shape, U.grad.abs().sum().item())

with torch.no_grad():
    R = torch.randn(6, 2) @ torch.randn(2, 4)
    rd = torch.linalg.lstsq(R, torch.randn(6, 1), rcond=1e-4)
    print("rank-deficient", rd.rank.item(), rd.solution.norm().item())
    tall = torch.randn(3, 7, 2, dtype=torch.float64)
    rhs = torch.randn(3, 7, 2, dtype=torch.float64)
    g = torch.linalg.lstsq(tall, rhs, driver="gels")
    print("gels residuals", g.residuals.shape, g.rank.shape)
    for drv in ("gelsd", "gelss"):
        s = torch.linalg.lstsq(tall, rhs, driver=drv)
        print(drv, s.rank.tolist(), s.singular_values[0].tolist(), s.residuals.shape)

# The residuals' own gradient: ‖A·X − B‖² per column (gels, then a gelsd
# vector system).
Ag = torch.randn(7, 3, dtype=torch.float64, requires_grad=True)
Bg = torch.randn(7, 2, dtype=torch.float64, requires_grad=True)
fit = torch.linalg.lstsq(Ag, Bg, driver="gels")
(fit.residuals.sum() + fit.solution.sum()).backward()
av = torch.randn(6, 2, requires_grad=True)
bv = torch.randn(6, requires_grad=True)
torch.linalg.lstsq(av, bv, driver="gelsd").residuals.sum().backward()
print("residual grads", Ag.grad.norm().item(), bv.grad.norm().item())

# Frozen design: only the targets require grad.
D = torch.randn(6, 3)
t = torch.randn(6, 2, requires_grad=True)
torch.linalg.lstsq(D, t).solution.pow(2).sum().backward()
print("targets", t.grad.norm().item())

for bad in (
    lambda: torch.linalg.lstsq(torch.randn(5, 3), torch.randn(4, 2)),
    lambda: torch.linalg.lstsq(torch.randn(5, 3), torch.randn(5, 2), driver="qr"),
    lambda: torch.linalg.lstsq(torch.randn(5, 3), torch.randn(5, 2, dtype=torch.float64)),
):
    try:
        bad()
    except RuntimeError as e:
        print("error", str(e).splitlines()[0])
