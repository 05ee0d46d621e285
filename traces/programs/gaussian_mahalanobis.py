# Gaussian models in float64 whose Mahalanobis terms come out of a batched
# triangular solve of one vector: a Gaussian mixture (Dirichlet-sampled
# weights, MultivariateNormal with scale_tril, MixtureSameFamily) trained
# by Adam with a KL to a standard normal, a LowRankMultivariateNormal, a
# precision-matrix MVN, and whitened residuals of shape [1, d, 1] post-
# processed by pow, clamp, clamp_min/clamp_max, lerp with a number,
# relu6/hardtanh and nan_to_num, whose layouts PyTorch chooses per
# operator (contiguous or self's strides).
import torch
from torch import nn
import torch.nn.functional as F
from torch.distributions import (
    Categorical,
    Dirichlet,
    LowRankMultivariateNormal,
    MixtureSameFamily,
    MultivariateNormal,
    kl_divergence,
)

torch.manual_seed(7)
dt = torch.float64
K, D = 3, 2
logits_alpha = nn.Parameter(torch.zeros(K, dtype=dt))
means = nn.Parameter(torch.randn(K, D, dtype=dt))
raw_tril = nn.Parameter(torch.zeros(K, D, D, dtype=dt))
data = torch.cat([torch.randn(20, D, dtype=dt) + 2, torch.randn(20, D, dtype=dt) - 2])
opt = torch.optim.Adam([logits_alpha, means, raw_tril], lr=0.05)
for it in range(4):
    opt.zero_grad()
    w = Dirichlet(F.softplus(logits_alpha) + 0.5).rsample()
    diag = F.softplus(torch.diagonal(raw_tril, dim1=-2, dim2=-1)) + 0.1
    tril = torch.tril(raw_tril, -1) + torch.diag_embed(diag)
    comps = MultivariateNormal(means, scale_tril=tril)
    gmm = MixtureSameFamily(Categorical(probs=w), comps)
    loss = -gmm.log_prob(data).mean()
    prior = MultivariateNormal(torch.zeros(D, dtype=dt), torch.eye(D, dtype=dt))
    loss = loss + 0.01 * kl_divergence(comps, prior).sum()
    loss.backward()
    opt.step()
    print(it, loss.item())

cov_f = nn.Parameter(torch.randn(4, 2, dtype=dt) * 0.3)
cov_d = nn.Parameter(torch.ones(4, dtype=dt))
lr = LowRankMultivariateNormal(torch.zeros(4, dtype=dt), cov_f, cov_d)
x = torch.randn(6, 4, dtype=dt)
lp = lr.log_prob(x).sum() + lr.entropy()
lp.backward()
print(lp.item(), cov_f.grad.norm().item())
prec = MultivariateNormal(torch.zeros(2, dtype=dt), precision_matrix=torch.tensor([[2.0, 0.3], [0.3, 1.0]], dtype=dt))
print(prec.log_prob(torch.ones(2, dtype=dt)).item(), prec.covariance_matrix.tolist())

# Whitened residual of one observation against a learned Cholesky factor.
L_raw = nn.Parameter(torch.eye(3, dtype=dt) + 0.1 * torch.randn(3, 3, dtype=dt))
obs = torch.randn(3, dtype=dt)
for dtype in (dt, torch.float32):
    L = torch.tril(L_raw).to(dtype).unsqueeze(0)
    r = obs.to(dtype).view(1, 1, 3).transpose(1, 2)
    z = torch.linalg.solve_triangular(L, r, upper=False)
    terms = [
        z.pow(2),
        torch.pow(2.0, z),
        z.clamp(-0.5, 0.5),
        z.clamp_min(0.0),
        z.clamp_max(0.1),
        torch.lerp(z, z.detach() * 0, 0.25),
        F.relu6(z + 1),
        F.hardtanh(z),
        torch.nan_to_num(z.log()),
        torch.nan_to_num(z, nan=0.0, posinf=1e3),
        F.relu(z),
    ]
    total = sum(t.sum() for t in terms)
    total.backward()
    print(dtype, total.item(), [round(t.sum().item(), 6) for t in terms], [t.stride() for t in terms])
print(L_raw.grad.tolist())
