"""A VQ-VAE with a hard Gumbel-softmax code head.

The encoder's features are quantised to their nearest codebook vector
(`argmin` of expanded squared distances, `F.embedding` of the codes), passed
to the decoder through the straight-through estimator `z + (q - z).detach()`
with a commitment loss, and the codebook follows the batch by exponential
moving averages under `no_grad` (`one_hot` counts, `mul_`/`add_` with alpha,
`copy_`). A second head picks codes by `F.gumbel_softmax(tau=0.5, hard=True,
dim=1)` over the channel dimension of a [B, K, H, W] map: the one-hot minus
the detached soft sample plus the soft sample makes `_softmax_backward_data`
over a dimension that is not the last, where the gradient nearly cancels its
sum `sum(g * y)`; PyTorch sums it in float32 with a fused multiply-add along
the dimension. Two Adam steps at batch 4 and batch 1, then the codebook
perplexity.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4)
K, C = 8, 4


class VQ(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("embed", torch.randn(K, C))
        self.register_buffer("cluster_size", torch.zeros(K))
        self.register_buffer("embed_avg", self.embed.clone())

    def forward(self, z):
        flat = z.permute(0, 2, 3, 1).reshape(-1, C)
        dist = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.embed.t() + self.embed.pow(2).sum(1)[None]
        idx = dist.argmin(1)
        onehot = F.one_hot(idx, K).type(flat.dtype)
        q = F.embedding(idx, self.embed).view(z.shape[0], z.shape[2], z.shape[3], C).permute(0, 3, 1, 2)
        if self.training:
            with torch.no_grad():
                self.cluster_size.mul_(0.9).add_(onehot.sum(0), alpha=0.1)
                self.embed_avg.mul_(0.9).add_(onehot.t() @ flat, alpha=0.1)
                n = self.cluster_size.sum()
                size = (self.cluster_size + 1e-5) / (n + K * 1e-5) * n
                self.embed.copy_(self.embed_avg / size.unsqueeze(1))
        commit = F.mse_loss(z, q.detach())
        q = z + (q - z).detach()
        return q, commit, idx


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 8, 4, 2, 1), nn.ReLU(), nn.Conv2d(8, C, 3, 1, 1))
        self.vq = VQ()
        self.dec = nn.Sequential(nn.Conv2d(C, 8, 3, 1, 1), nn.ReLU(), nn.ConvTranspose2d(8, 1, 4, 2, 1))
        self.logits = nn.Conv2d(C, K, 1)

    def forward(self, x):
        z = self.enc(x)
        q, commit, idx = self.vq(z)
        rec = self.dec(q)
        soft = F.gumbel_softmax(self.logits(z), tau=0.5, hard=True, dim=1)
        codes = torch.einsum("bkhw,kc->bchw", soft, self.vq.embed)
        return rec, commit, codes, idx


model = Model()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
for b in (4, 1):
    x = torch.rand(b, 1, 8, 8)
    rec, commit, codes, idx = model(x)
    loss = F.mse_loss(rec, x) + 0.25 * commit + F.l1_loss(codes, model.enc(x).detach())
    opt.zero_grad()
    loss.backward()
    opt.step()
    perplexity = torch.exp(-(F.one_hot(idx, K).float().mean(0) * torch.log(F.one_hot(idx, K).float().mean(0) + 1e-10)).sum())
print(f"perplexity {perplexity.item():.3f}")
