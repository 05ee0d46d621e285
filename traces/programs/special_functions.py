"""Special functions in likelihood models, trained a few SGD steps.

A count model (negative binomial log-likelihood through lgamma), a
Dirichlet expected-log term (digamma), its Fisher information (polygamma),
a Wishart normaliser (mvlgamma), a probit link through erfinv, logits of
probabilities with eps clamping, a von Mises log-likelihood (log i0) on
angles, sinc features, an entropy bonus (special.entr), normal quantiles
(special.ndtri), hypot and logaddexp/logaddexp2 mixtures; then the same
losses in float64, and the edge regions: lgamma near its poles and at
negative non-integers, digamma left of zero, erfinv near +-1, i0 at
large arguments.
"""

import math

import torch

torch.manual_seed(0)

counts = torch.tensor([0.0, 1.0, 3.0, 7.0, 2.0, 12.0, 5.0, 0.0])
features = torch.randn(8, 3)
angles = torch.rand(8) * 2 * math.pi - math.pi
targets = torch.rand(8) * 0.98 + 0.01

w = torch.randn(3, 4, requires_grad=True)
log_r = torch.zeros(1, requires_grad=True)
concentration = torch.tensor([1.5, 2.0, 0.7, 3.0], requires_grad=True)
kappa_raw = torch.tensor(0.3, requires_grad=True)
mu = torch.tensor(0.1, requires_grad=True)


def negative_binomial_nll(mean, r, y):
    # log NB(y; r, p) with p = mean / (r + mean).
    log_p = torch.log(mean) - torch.log(r + mean)
    log_q = torch.log(r) - torch.log(r + mean)
    ll = torch.lgamma(y + r) - torch.lgamma(r) - torch.lgamma(y + 1) + r * log_q + y * log_p
    return -ll.mean()


def losses(w, log_r, concentration, kappa_raw, mu, x, y, theta, t):
    h = x @ w
    mean = torch.nn.functional.softplus(h[:, 0]) + 1e-3
    r = log_r.exp()
    nb = negative_binomial_nll(mean, r, y)
    alpha = torch.nn.functional.softplus(concentration) + 0.5
    alpha0 = alpha.sum()
    expected_log = torch.digamma(alpha) - torch.digamma(alpha0)
    dirichlet = -(expected_log * (alpha - 1)).sum() + torch.lgamma(alpha).sum() - torch.lgamma(alpha0)
    fisher = torch.polygamma(1, alpha).sum() - torch.polygamma(1, alpha0) + torch.polygamma(2, alpha).mean()
    wishart = torch.mvlgamma(alpha + 2.0, 3).sum()
    p = torch.sigmoid(h[:, 1])
    probit = torch.erfinv(2 * p - 1) * math.sqrt(2)
    link = ((probit - torch.special.ndtri(t)) ** 2).mean()
    logits = torch.logit(p, eps=1e-6)
    logit_plain = torch.logit(t)
    kappa = torch.nn.functional.softplus(kappa_raw) + 0.1
    von_mises = -(kappa * torch.cos(theta - mu) - torch.log(2 * math.pi * torch.special.i0(kappa))).mean()
    scaled = torch.special.i0e(kappa) + torch.special.i1(kappa) + torch.special.i1e(kappa)
    sinc = torch.sinc(h[:, 2]).mean()
    entropy = torch.special.entr(torch.softmax(h, dim=1)).sum(dim=1).mean()
    radius = torch.hypot(h[:, 0], h[:, 3]).mean()
    mixture = torch.logaddexp(h[:, 0], h[:, 1]).mean() + torch.logaddexp2(h[:, 2], h[:, 3]).mean()
    xlog = torch.special.xlog1py(p, t).mean()
    return (
        nb
        + 0.1 * dirichlet
        + 0.01 * fisher
        + 0.01 * wishart
        + link
        + 0.01 * (logits - logit_plain).pow(2).mean()
        + von_mises
        + 0.1 * scaled
        + sinc
        - 0.1 * entropy
        + 0.1 * radius
        + 0.1 * mixture
        + xlog
    )


params = [w, log_r, concentration, kappa_raw, mu]
opt = torch.optim.SGD(params, lr=0.05)
for step in range(3):
    opt.zero_grad()
    loss = losses(w, log_r, concentration, kappa_raw, mu, features, counts, angles, targets)
    loss.backward()
    opt.step()
    print("step", step, round(loss.item(), 4))

# The same model in float64.
params64 = [p.detach().double().requires_grad_() for p in params]
loss64 = losses(*params64, features.double(), counts.double(), angles.double(), targets.double())
loss64.backward()
print("float64", round(loss64.item(), 6), [round(g, 6) for g in params64[2].grad.tolist()])

# The hard regions, forward and backward, in both precisions.
for dtype in (torch.float32, torch.float64):
    near_poles = torch.tensor([-2.999, -2.5, -1.001, -0.5, -0.001, 0.001, 0.5, 1.0, 2.0, 30.5], dtype=dtype, requires_grad=True)
    edge = torch.lgamma(near_poles).sum() + torch.digamma(near_poles).sum() + torch.polygamma(3, near_poles).sum()
    tails = torch.tensor([-0.999999, -0.99, -0.7, 0.0, 0.69, 0.9999, 0.999999], dtype=dtype, requires_grad=True)
    edge = edge + torch.erfinv(tails).sum()
    big = torch.tensor([-40.0, -9.0, -8.0, 0.0, 7.9, 8.5, 60.0], dtype=dtype, requires_grad=True)
    edge = edge + (torch.special.i0(big) / 1e20).sum() + torch.special.i0e(big).sum() + torch.special.i1e(big).sum()
    edge = edge + torch.sinc(torch.tensor([0.0, 1e-3, -2.5], dtype=dtype, requires_grad=True)).sum()
    edge.backward()
    print(str(dtype), [round(g, 3) for g in near_poles.grad.tolist()], [round(g, 3) for g in tails.grad.tolist()])

# digamma_ in place, and half-precision forwards.
z = torch.linspace(0.25, 4.0, 6)
z.digamma_()
print([round(v, 5) for v in z.tolist()])
for dtype in (torch.float16, torch.bfloat16):
    h = torch.linspace(0.3, 3.0, 5, dtype=dtype)
    out = torch.lgamma(h) + torch.digamma(h) + torch.erfinv(h / 4) + torch.special.i0(h) + torch.sinc(h) + torch.logit(h / 4, eps=0.01)
    print(str(dtype), [round(v, 3) for v in out.float().tolist()])
