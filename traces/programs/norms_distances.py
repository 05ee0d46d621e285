"""F.normalize, cosine_similarity (norms clamped in place under no_grad), torch.norm,
linalg.vector_norm (ord 1, inf, over dims), linalg.norm (Frobenius), clamp with tensor
bounds, clip, lerp (scalar and tensor weight), logsumexp, var_mean, std_mean; two SGD steps."""
import torch
import torch.nn.functional as F

torch.manual_seed(0)
h = torch.randn(2, 3, 4, requires_grad=True)
w = torch.randn(3, 4, requires_grad=True)
opt = torch.optim.SGD([h, w], lr=1e-2)
x = torch.randn(2, 3, 4)
for _ in range(2):
    opt.zero_grad()
    n1 = F.normalize(h, dim=-1)
    cs = F.cosine_similarity(h, x, dim=-1)
    nn1 = torch.norm(h, dim=1)
    nn2 = torch.linalg.vector_norm(h, ord=1, dim=(1, 2))
    nn3 = torch.linalg.vector_norm(h, ord=float("inf"), dim=-1)
    nn4 = torch.linalg.norm(w)
    nn5 = torch.linalg.norm(h, dim=(1, 2))
    cl = torch.clamp(h, min=torch.zeros(4), max=w[0].detach().abs())
    cl2 = torch.clip(h, -0.5, 0.5)
    lp = torch.lerp(h, x, 0.3)
    lp2 = torch.lerp(h, x, torch.full_like(x, 0.7))
    lse = torch.logsumexp(h @ w.t(), dim=-1)
    v, mu = torch.var_mean(h, dim=1)
    sd, mu2 = torch.std_mean(h, dim=-1, keepdim=True)
    loss = (n1.pow(2).sum() + cs.sum() + nn1.sum() + nn2.sum() + nn3.sum() + nn4
            + nn5.sum() + cl.sum() + cl2.pow(2).sum() + lp.sum() + lp2.pow(2).sum()
            + lse.sum() + v.sum() + mu.sum() + sd.sum() + mu2.pow(2).sum())
    loss.backward()
    opt.step()
