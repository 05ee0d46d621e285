"""Spectral decompositions: PCA whitening, a nuclear-norm low-rank layer,
eigh-based covariance steps and pseudo-inverses.

A small regression pipeline as a practitioner writes it. The inputs are
centred and ZCA-whitened from the eigendecomposition of their covariance
(`torch.linalg.eigh`: `_linalg_eigh`, eigenvalues ascending), and
`torch.pca_lowrank` (randomised range finder: `linalg_qr`, then a small
`_linalg_svd`) gives the top principal directions. A low-rank linear layer
`W = A @ B` is trained three SGD steps on a mean-squared error plus a
nuclear-norm penalty (`matrix_norm(ord='nuc')`: singular values only, the
`svd_backward` branch without singular-vector gradients), a spectral-norm
penalty (`ord=2`), and an orthogonality regulariser that pulls the
down-projection's polar factor `U @ Vh` toward a target (`linalg.svd(full_matrices=False)`:
LinalgSvdBackward0 with gradients of U, S and Vh, a tall matrix). The
covariance step differentiates the top eigenvalue (`eigvalsh`: eigenvalue
gradient only) and the variance captured by the top two eigenvectors
(`eigh`: LinalgEighBackward0 with eigenvector gradients). Least squares
through `torch.linalg.pinv` (LinalgPinvBackward0, tall and wide),
`torch.pinverse` and `pinv(hermitian=True)`; `torch.svd` (V, not Vh),
`svdvals`, `cond`, `matrix_rank`, a float64 wide `linalg.svd` with
`full_matrices=True` differentiated through U, S and Vh, a batched float64
SVD and eigh; the CPU refusal of `driver=` and eigh of a non-square matrix
are caught. Values are read out with `.tolist()`/`.item()`.
"""
# cpu-dependent-values: the sign of each singular vector is LAPACK's choice, and CPUs' LAPACK code paths choose differently

import torch
from torch import nn

torch.manual_seed(0)

# --- data: correlated features, centred, whitened from eigh(cov) ---------
n, d = 48, 6
mix = torch.randn(d, d) * 0.3 + 1.5 * torch.eye(d)
x = torch.randn(n, d) @ mix
x = x - x.mean(dim=0, keepdim=True)
cov = x.T @ x / (n - 1)
evals, evecs = torch.linalg.eigh(cov)
whiten = evecs @ torch.diag(1.0 / torch.sqrt(evals + 1e-5)) @ evecs.T
xw = x @ whiten
print("eigenvalues", [round(v, 4) for v in evals.tolist()])
print("whitened var", [round(v, 3) for v in (xw.T @ xw / (n - 1)).diagonal().tolist()])

# randomized PCA (torch.pca_lowrank centres the data itself)
u_pca, s_pca, v_pca = torch.pca_lowrank(x, q=3, center=True, niter=2)
print("pca singular values", [round(v, 3) for v in s_pca.tolist()])
scores = x @ v_pca[:, :2]
print("pca score var", [round(v, 3) for v in scores.var(dim=0).tolist()])

# --- low-rank layer with nuclear / spectral / orthogonality penalties ----
true_w = torch.randn(d, 2) @ torch.randn(2, 4)
y = xw @ true_w + 0.05 * torch.randn(n, 4)


class LowRank(nn.Module):
    def __init__(self, d_in, d_out, rank):
        super().__init__()
        self.a = nn.Parameter(torch.randn(d_in, rank) * 0.3)
        self.b = nn.Parameter(torch.randn(rank, d_out) * 0.3)

    def weight(self):
        return self.a @ self.b

    def forward(self, inp):
        return inp @ self.weight()


model = LowRank(d, 4, 3)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
target_polar = torch.linalg.qr(torch.randn(d, 3)).Q
for step in range(3):
    opt.zero_grad()
    w = model.weight()
    mse = nn.functional.mse_loss(model(xw), y)
    nuc = torch.linalg.matrix_norm(w, ord="nuc")
    spec = torch.linalg.matrix_norm(w, ord=2)
    u, s, vh = torch.linalg.svd(model.a, full_matrices=False)
    ortho = ((u @ vh - target_polar) ** 2).sum()
    loss = mse + 0.01 * nuc + 0.01 * spec + 0.001 * ortho
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.5f} nuc {nuc.item():.4f} spec {spec.item():.4f}")

# --- covariance step: differentiate eigenvalues and eigenvectors ---------
c = (x.T @ x / (n - 1)).detach().requires_grad_()
top = torch.linalg.eigvalsh(c)[-1]
top.backward()
print("d top eig / d cov diag", [round(v, 4) for v in c.grad.diagonal().tolist()])
c.grad = None
lam, q = torch.linalg.eigh(c)
captured = ((x @ q[:, -2:]) ** 2).mean() + lam.sum() * 0.1
captured.backward()
print("d captured / d cov row0", [round(v, 4) for v in c.grad[0].tolist()])

# --- pseudo-inverses: least squares, tall and wide -----------------------
a_tall = torch.randn(8, 3, requires_grad=True)
b_rhs = torch.randn(8, 2)
sol = torch.linalg.pinv(a_tall) @ b_rhs
((a_tall @ sol - b_rhs) ** 2).sum().backward()
print("lstsq residual grad", [round(v, 4) for v in a_tall.grad.sum(dim=0).tolist()])
a_wide = torch.randn(3, 7, requires_grad=True)
torch.linalg.pinv(a_wide).abs().sum().backward()
print("wide pinv grad", round(a_wide.grad.abs().sum().item(), 4))
print("pinverse", [round(v, 4) for v in torch.pinverse(a_tall.detach(), rcond=1e-6).sum(dim=1).tolist()])
ridge = cov + 0.1 * torch.eye(d)
print("hermitian pinv", [round(v, 4) for v in torch.linalg.pinv(ridge, hermitian=True).diagonal().tolist()])

# --- torch.svd, svdvals, cond, rank, float64 full SVD, batches -----------
m = torch.randn(5, 4)
uu, ss, vv = torch.svd(m)
print("svd V col sums", [round(v, 4) for v in (uu.sum(0) * vv.sum(0)).tolist()], ss.tolist())
print("svdvals", torch.linalg.svdvals(m).tolist())
print("cond", round(torch.linalg.cond(m).item(), 4), "rank", torch.linalg.matrix_rank(m).item())
low = torch.randn(6, 2) @ torch.randn(2, 5)
print("rank of a rank-2 matrix", torch.linalg.matrix_rank(low).item())

g = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
uf, sf, vhf = torch.linalg.svd(g)
(uf[:, 0].abs().sum() + sf.sum() + (vhf[:3] ** 3).sum()).backward()
print("float64 full svd grad", [round(v, 6) for v in g.grad.sum(dim=1).tolist()])
sq = torch.randn(4, 4, dtype=torch.float64, requires_grad=True)
us, ssq, vhs = torch.linalg.svd(sq)
((us @ torch.diag(ssq) @ vhs) ** 2).sum().backward()
print("square full svd grad", [round(v, 6) for v in sq.grad.diagonal().tolist()])

batch = torch.randn(2, 4, 3, dtype=torch.float64)
print("batched svdvals", torch.linalg.svdvals(batch).tolist())
sym = batch.transpose(-2, -1) @ batch
print("batched eigvalsh", torch.linalg.eigvalsh(sym).tolist())
print("upper eigh", torch.linalg.eigh(sym, UPLO="U").eigenvalues.tolist())

# --- what PyTorch refuses -------------------------------------------------
try:
    torch.linalg.svd(m, driver="gesvd")
except RuntimeError as e:
    print("refused:", str(e).splitlines()[0])
try:
    torch.linalg.eigh(torch.randn(3, 4))
except RuntimeError as e:
    print("refused:", str(e).splitlines()[0])
