"""Orthogonal parametrizations, the matrix exponential and Householder products.

An orthogonal RNN as expRNN/scoRNN-style code builds it: the recurrent
weight of an `nn.RNNCell`-like cell is parametrized with
`torch.nn.utils.parametrizations.orthogonal`, once per map
(`matrix_exp`, `cayley`, `householder`), each trained three Adam steps on a
copy-memory style target. Registration runs the parametrization's
`right_inverse` under `no_grad` (`geqrf`, `linalg_householder_product`,
`sgn` of R's diagonal, `original.set_(-I)` with the trivialization);
forward is `tril`, `X - X.mH`, `matrix_exp` (LinalgMatrixExpBackward0 takes
the exponential of a block matrix) or `linalg.solve` for Cayley, and
`householder_product` of `tril(-1)` with `tau = 2 / (1 + |v|^2)`
(LinalgHouseholderProductBackward0 updates K in place and ends with
`tril_(-1)`), then `base @ Q`.

Non-square weights (tall and wide `nn.Linear`), `use_trivialization=False`
with the Householder map (the reflectors of `geqrf` as the original: its
diagonal `sign_`ed, entries where tau is 0 flipped), assigning a new
orthogonal weight through `right_inverse`, float64 layers, and a batch of
weights. A linear flow layer `z = exp(A) x` whose log-determinant is
`trace(A)`, trained two SGD steps with a generator of 1-norm above the
degree-18 threshold (so the exponential is scaled and squared), and a batch
of matrices whose norms pick every Taylor degree. A least-squares solve
through `geqrf`, `ormqr` (Q^T b, left and right, transposed or not) and
`solve_triangular`, and in-place `tril_`/`triu_` masks. Bad shapes are
caught and reported, and so is a backward through `geqrf` (not
differentiable: GeqrfBackward0 raises NotImplementedError).
"""

import torch
from torch import nn
from torch.nn.utils.parametrizations import orthogonal

torch.manual_seed(0)


class OrthogonalRNN(nn.Module):
    def __init__(self, n_in, hidden, n_out, orthogonal_map):
        super().__init__()
        self.inp = nn.Linear(n_in, hidden)
        self.rec = nn.Linear(hidden, hidden, bias=False)
        orthogonal(self.rec, orthogonal_map=orthogonal_map)
        self.out = nn.Linear(hidden, n_out)

    def forward(self, xs):
        h = torch.zeros(xs.shape[1], self.rec.in_features)
        for x in xs:
            h = torch.tanh(self.inp(x) + self.rec(h))
        return self.out(h)


seq, batch, n_in, hidden = 5, 3, 4, 6
xs = torch.randn(seq, batch, n_in)
target = torch.randn(batch, 2)
for orthogonal_map in ("matrix_exp", "cayley", "householder"):
    model = OrthogonalRNN(n_in, hidden, 2, orthogonal_map)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for step in range(3):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(xs), target)
        loss.backward()
        opt.step()
        print(orthogonal_map, step, round(loss.item(), 6))
    with torch.no_grad():
        w = model.rec.weight
        print(orthogonal_map, "orthogonality", (w.T @ w - torch.eye(hidden)).abs().max().item())

# Non-square weights, every map, both trivializations, float32 and float64.
for dtype in (torch.float32, torch.float64):
    for orthogonal_map in ("matrix_exp", "cayley", "householder"):
        for shape in ((5, 3), (3, 5)):
            for triv in (True, False):
                if not triv and orthogonal_map != "householder":
                    continue
                layer = nn.Linear(shape[1], shape[0]).to(dtype)
                orthogonal(layer, orthogonal_map=orthogonal_map, use_trivialization=triv)
                x = torch.randn(4, shape[1], dtype=dtype)
                loss = layer(x).pow(2).mean()
                loss.backward()
                grads = [p.grad.abs().sum().item() for p in layer.parameters()]
                print(dtype, orthogonal_map, shape, triv, loss.item(), grads)

# Assigning an orthogonal weight runs right_inverse again.
layer = nn.Linear(4, 4)
orthogonal(layer, orthogonal_map="householder", use_trivialization=False)
q, _ = torch.linalg.qr(torch.randn(4, 4))
layer.weight = q
print("assigned", layer.weight.tolist())
layer = nn.Linear(4, 4)
orthogonal(layer, orthogonal_map="cayley")
layer.weight = q
print("assigned base", layer.weight.tolist())

# A batch of orthogonal weights (a parameter of shape (2, 4, 4)).
holder = nn.Module()
holder.weight = nn.Parameter(torch.randn(2, 4, 4))
orthogonal(holder, orthogonal_map="householder")
(holder.weight.sum(dim=(1, 2)) ** 2).sum().backward()
print("batched", holder.parametrizations.weight.original.grad.tolist())


# A linear flow layer: z = exp(A) x, log|det exp(A)| = trace(A).
class ExpFlow(nn.Module):
    def __init__(self, dim, dtype):
        super().__init__()
        self.a = nn.Parameter(torch.randn(dim, dim, dtype=dtype) * 1.5)

    def forward(self, x):
        w = torch.linalg.matrix_exp(self.a)
        return x @ w.T, torch.diagonal(self.a).sum()


for dtype in (torch.float32, torch.float64):
    flow = ExpFlow(4, dtype)
    opt = torch.optim.SGD(flow.parameters(), lr=0.01)
    data = torch.randn(16, 4, dtype=dtype)
    for step in range(2):
        opt.zero_grad()
        z, logdet = flow(data)
        nll = 0.5 * z.pow(2).sum(dim=1).mean() - logdet
        nll.backward()
        opt.step()
        print("flow", dtype, step, nll.item(), flow.a.abs().sum(dim=0).max().item())

# Norms picking every degree of the Taylor approximation in one batch.
scales = torch.tensor([1e-9, 1e-5, 1e-2, 0.3, 1.0, 2.5, 8.0], dtype=torch.float64)
base = torch.randn(4, 4, dtype=torch.float64)
base = base / base.abs().sum(dim=0).max()
batch_a = (scales.view(-1, 1, 1) * base).requires_grad_()
expm = torch.linalg.matrix_exp(batch_a)
expm.sum().backward()
print("degrees", expm.tolist(), batch_a.grad.tolist())
expm32 = torch.linalg.matrix_exp(batch_a.detach().float() * 1.3)
print("degrees32", expm32.tolist())
print("1x1", torch.linalg.matrix_exp(torch.tensor([[0.5]])).tolist())

# Least squares through geqrf and ormqr: min |A x - b|.
a = torch.randn(6, 3, dtype=torch.float64)
b = torch.randn(6, 2, dtype=torch.float64)
refl, tau = torch.geqrf(a)
qtb = torch.ormqr(refl, tau, b, left=True, transpose=True)
r = refl[:3].triu()
x = torch.linalg.solve_triangular(r, qtb[:3], upper=True)
print("lstsq", x.tolist())
print("ormqr Q b", torch.ormqr(refl, tau, b).tolist())
c = torch.randn(2, 6, dtype=torch.float64)
print("ormqr c Q", torch.ormqr(refl, tau, c, left=False).tolist())
print("ormqr c Q^T", torch.ormqr(refl, tau, c, left=False, transpose=True).tolist())
q = torch.linalg.householder_product(refl, tau)
print("householder", q.tolist(), torch.linalg.householder_product(refl, tau[:2]).tolist())
refl32, tau32 = torch.geqrf(torch.randn(2, 5, 4))
print("batched geqrf", refl32.tolist(), tau32.tolist())

# In-place triangles.
m = torch.randn(3, 5, 5)
m.tril_(1)
m.triu_(-1)
print("band", m.tolist())
mask = torch.ones(4, 4).triu_(1).bool()
print("mask", mask.tolist())

# Errors caught.
for bad in (
    lambda: torch.linalg.householder_product(torch.randn(3, 4), torch.randn(3)),
    lambda: torch.linalg.matrix_exp(torch.randn(3, 4)),
    lambda: torch.geqrf(torch.randn(3)),
):
    try:
        bad()
    except RuntimeError as e:
        print("error", str(e).splitlines()[0])

# geqrf is not differentiable: a backward reaching GeqrfBackward0 raises.
a_req = torch.randn(5, 3, requires_grad=True)
refl_req, tau_req = torch.geqrf(a_req)
try:
    torch.linalg.householder_product(refl_req, tau_req).sum().backward()
except NotImplementedError as e:
    print("error", str(e))
