"""Orthogonal-polynomial and Bessel feature models, trained a few SGD steps.

Chebyshev (all four kinds, plain and shifted), Legendre, Hermite and
Laguerre feature expansions of the data (computed without grad) feed a
linear model; a Matérn-style kernel regression through the modified Bessel
function K1 (and K0), a von Mises-style normaliser through the scaled
modified Bessel functions, a radial basis as in molecular models
(spherical_bessel_j0(r * freq)) with Bessel J/Y and Airy Ai features, and a
Zipf power-law likelihood through the Hurwitz zeta function. Then the same
in float64, the Python-number overloads (number for x, for n, for either
side of zeta), out= forms, integer inputs, and edge inputs: 0, negative and
large arguments, |x| = 1, negative, fractional and NaN degrees, NaN values.
A float16 input, which these kernels refuse, is caught.
"""

import math

import torch

torch.manual_seed(0)
S = torch.special

x = torch.rand(32) * 2 - 1
y = torch.sin(3 * x) + 0.1 * torch.randn(32)
u = (x + 1) / 2
degrees = torch.arange(10, dtype=torch.float32)


def polynomial_features(x, u, degrees):
    xs, us, n = x[:, None], u[:, None], degrees[None, :]
    return torch.cat(
        [
            S.chebyshev_polynomial_t(xs, n),
            S.chebyshev_polynomial_u(xs, n),
            S.chebyshev_polynomial_v(xs, n),
            S.chebyshev_polynomial_w(xs, n),
            S.shifted_chebyshev_polynomial_t(us, n),
            S.shifted_chebyshev_polynomial_u(us, n),
            S.shifted_chebyshev_polynomial_v(us, n),
            S.shifted_chebyshev_polynomial_w(us, n),
            S.legendre_polynomial_p(xs, n),
            S.hermite_polynomial_h(xs, n) / 2**n,
            S.hermite_polynomial_he(xs, n),
            S.laguerre_polynomial_l(2 * us, n),
        ],
        dim=1,
    )


features = polynomial_features(x, u, degrees)
w = torch.zeros(features.shape[1], requires_grad=True)
opt = torch.optim.SGD([w], lr=0.002)
for _ in range(3):
    opt.zero_grad()
    loss = ((features @ w - y) ** 2).mean()
    loss.backward()
    opt.step()

# Matérn-style kernel regression: k(r) = (r / l) K1(r / l), K1 and K0 from
# the data's pairwise distances (no grad); the dual weights are trained.
points = torch.randn(12, 2)
r = torch.cdist(points, points) / 0.7
r_safe = r + torch.eye(12)
matern = torch.where(r > 0, r_safe * S.modified_bessel_k1(r_safe), torch.ones_like(r))
matern0 = S.modified_bessel_k0(r_safe) * (1 - torch.eye(12))
targets = torch.cos(points[:, 0])
alpha = torch.zeros(12, requires_grad=True)
opt = torch.optim.SGD([alpha], lr=0.05)
for _ in range(3):
    opt.zero_grad()
    loss = ((matern @ alpha + 0.1 * matern0 @ alpha - targets) ** 2).mean()
    loss.backward()
    opt.step()

# von Mises-style normaliser: log I0(k) = log(e^-k I0(k)) + k; the mean
# resultant length I1/I0; the scaled K functions as a tail weight.
kappa = torch.tensor([0.05, 0.5, 1.0, 2.0, 7.9, 8.0, 8.1, 30.0, 200.0])
log_norm = torch.log(2 * math.pi * S.modified_bessel_i0(kappa) * torch.exp(-kappa)) + kappa
resultant = S.modified_bessel_i1(kappa) / S.modified_bessel_i0(kappa)
tails = S.scaled_modified_bessel_k0(kappa) + S.scaled_modified_bessel_k1(kappa)

# A radial basis: sin(r f)/(r f) at the Bessel frequencies, with J/Y and Ai.
radii = torch.linspace(0.0, 6.0, 25)
freqs = torch.arange(1, 7, dtype=torch.float32) * math.pi / 6.0
radial = S.spherical_bessel_j0(radii[:, None] * freqs[None, :])
bessel = torch.stack(
    [
        S.bessel_j0(radii * 2),
        S.bessel_j1(radii * 2),
        S.bessel_y0(radii * 2 + 0.1),
        S.bessel_y1(radii * 2 + 0.1),
        S.airy_ai(radii * 2 - 6),
    ],
    dim=1,
)
basis = torch.cat([radial, bessel], dim=1)
energy = torch.exp(-radii) + 0.05 * radii
v = torch.zeros(basis.shape[1], requires_grad=True)
opt = torch.optim.SGD([v], lr=0.05)
for _ in range(3):
    opt.zero_grad()
    loss = ((basis @ v - energy) ** 2).mean()
    loss.backward()
    opt.step()

# Zipf likelihood: p(k) = k^-s / zeta(s, 1); the tail mass zeta(s, K + 1).
ranks = torch.tensor([1.0, 1.0, 2.0, 3.0, 1.0, 5.0, 8.0, 2.0])
s_grid = torch.linspace(1.2, 4.0, 8)
log_lik = -s_grid[:, None] * torch.log(ranks)[None, :] - torch.log(S.zeta(s_grid, 1.0))[:, None]
tail = S.zeta(s_grid, torch.full((8,), 11.0))
harmonic = S.zeta(2.0, torch.tensor([1.0, 2.0, 10.0, 0.5]))

# float64, the number overloads, out= and integers.
x64 = x.double()
f64 = polynomial_features(x64, (x64 + 1) / 2, degrees.double())
t_at_half = S.chebyshev_polynomial_t(0.5, degrees)
p_deg3 = S.legendre_polynomial_p(x, 3)
he_deg4 = S.hermite_polynomial_he(x64, 4)
l_int = S.laguerre_polynomial_l(torch.tensor([0, 1, 2, 3]), torch.tensor([2, 3, 4, 5]))
k1_64 = S.modified_bessel_k1(kappa.double())
i0_64 = S.modified_bessel_i0(torch.tensor([0.0, 1.0, -9.0, 100.0], dtype=torch.float64))
airy64 = S.airy_ai(torch.linspace(-10.0, 10.0, 41, dtype=torch.float64))
zeta64 = S.zeta(torch.tensor([2.0, 3.0, 1.5], dtype=torch.float64), torch.tensor([1.0, 0.5, 3.0], dtype=torch.float64))
out = torch.empty(25)
S.spherical_bessel_j0(radii, out=out)
S.bessel_j0(radii, out=out)
out10 = torch.empty(32, 10)
S.legendre_polynomial_p(x[:, None], degrees[None, :], out=out10)
S.zeta(3.0, torch.linspace(0.5, 4.0, 10), out=out10[0])
j0_int = S.bessel_j0(torch.tensor([0, 1, 5, -7]))

# Edges: 0, negative, large, |x| = 1, special degrees, NaN.
nan = float("nan")
edge_x = torch.tensor([0.0, -0.0, 1.0, -1.0, 0.999, -0.999, 1.5, -3.0, 40.0, -40.0, nan])
edge_n = torch.tensor([0.0, 1.0, 2.0, 7.0, 9.0, 30.0, -1.0, 2.5, 129.0, 600.0, nan])
for f in (S.chebyshev_polynomial_t, S.chebyshev_polynomial_u, S.chebyshev_polynomial_v,
          S.chebyshev_polynomial_w, S.legendre_polynomial_p, S.hermite_polynomial_h,
          S.hermite_polynomial_he, S.laguerre_polynomial_l):
    f(edge_x[:, None], edge_n[None, :])
    f(edge_x.double()[:, None], edge_n.double()[None, :])
for f in (S.shifted_chebyshev_polynomial_t, S.shifted_chebyshev_polynomial_u,
          S.shifted_chebyshev_polynomial_v, S.shifted_chebyshev_polynomial_w):
    f((edge_x[:, None] + 1) / 2, edge_n[None, :])
edge = torch.tensor([0.0, -0.0, 1e-6, -2.0, 2.0, 5.0, -5.0, 8.0, 2.09, -2.09, 104.0, 750.0, -750.0, nan, math.inf])
for f in (S.bessel_j0, S.bessel_j1, S.bessel_y0, S.bessel_y1, S.modified_bessel_i0, S.modified_bessel_i1,
          S.modified_bessel_k0, S.modified_bessel_k1, S.scaled_modified_bessel_k0,
          S.scaled_modified_bessel_k1, S.airy_ai, S.spherical_bessel_j0):
    f(edge)
    f(edge.double())
S.zeta(torch.tensor([1.0, 0.5, 2.0, 2.0, 3.0, nan]), torch.tensor([1.0, 1.0, 0.0, -2.0, -1.5, 1.0]))

try:
    S.chebyshev_polynomial_t(x.half(), 3)
except RuntimeError as e:
    refused = str(e)

# Gradients through the Bessel functions and zeta (the ones PyTorch
# differentiates): a learned radial frequency through J0/J1/Y0/Y1, a
# Matérn-style lengthscale through K0/K1, a von Mises concentration through
# I0/I1, a Zipf offset q through zeta (tensor and number exponents, an
# integer one too), in float32 and float64; arguments at 0 take J1's and
# I1's guarded limit and Y1's infinite slope.
freq = torch.tensor([0.7, 1.3, 2.1], requires_grad=True)
log_len = torch.zeros(1, requires_grad=True)
kappa = torch.tensor([0.5, 2.0], requires_grad=True)
offset = torch.tensor([1.5, 2.5, 4.0], requires_grad=True)
grad_opt = torch.optim.SGD([freq, log_len, kappa, offset], lr=0.01)
r = torch.rand(16, 1) * 4 + 0.2
ranks = torch.arange(1.0, 17.0)[:, None]
for step in range(2):
    rf = r * freq
    radial = S.bessel_j0(rf) + 0.5 * S.bessel_j1(rf) - 0.1 * S.bessel_y0(rf) + 0.05 * S.bessel_y1(rf)
    scaled = r / log_len.exp()
    matern = scaled * S.modified_bessel_k1(scaled) + 0.2 * S.modified_bessel_k0(scaled)
    von_mises = torch.log(S.modified_bessel_i0(kappa)).sum() - S.modified_bessel_i1(kappa).sum()
    zipf = torch.log(S.zeta(torch.tensor(2.5), offset)).sum() + S.zeta(3.0, offset).sum() + S.zeta(2, offset).mean()
    loss = radial.pow(2).mean() + matern.mean() + von_mises + zipf
    grad_opt.zero_grad()
    loss.backward()
    grad_opt.step()
    print("bessel grads", step, round(loss.item(), 5))

at_zero = torch.tensor([0.0, 1e-9, 0.5, -0.5], dtype=torch.float64, requires_grad=True)
(S.bessel_j1(at_zero) + S.modified_bessel_i1(at_zero)).sum().backward()
positive = torch.tensor([0.0, 0.5, 3.0], dtype=torch.float64, requires_grad=True)
S.bessel_y1(positive).sum().backward()
exponent = torch.tensor([2.0, 3.0], requires_grad=True)
try:
    S.zeta(exponent, torch.tensor([1.0, 2.0])).sum().backward()
except NotImplementedError as e:
    refused_zeta = str(e)
print(at_zero.grad, positive.grad, refused_zeta)
