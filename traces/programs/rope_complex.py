"""A LLaMA-style attention block whose rotary embedding is complex arithmetic.

Meta's reference code builds `freqs_cis = torch.polar(ones, outer(t,
freqs))` once (complex64), views query and key pairs as complex numbers
(`view_as_complex(x.float().reshape(..., -1, 2))`), rotates them by one
complex product with `freqs_cis` reshaped for broadcast, and goes back
with `view_as_real(...).flatten(3)` and `type_as`. Around it: RMSNorm,
causal attention written out (`matmul`, additive `-inf` mask, `softmax`),
an output projection, and three AdamW steps on a regression target.
Backward runs MulBackward0 of a complex product (`_conj(freqs_cis)`, the
conjugate materialized by `clone`, `mul`), ViewAsRealBackward0 and
ViewAsComplexBackward0.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def precompute_freqs_cis(dim, end, theta=10000.0):
    freqs = 1.0 / (theta ** (torch.arange(0, dim, 2)[: (dim // 2)].float() / dim))
    t = torch.arange(end, device=freqs.device).float()
    freqs = torch.outer(t, freqs)
    return torch.polar(torch.ones_like(freqs), freqs)


def reshape_for_broadcast(freqs_cis, x):
    shape = [d if i == 1 or i == x.ndim - 1 else 1 for i, d in enumerate(x.shape)]
    return freqs_cis.view(*shape)


def apply_rotary_emb(xq, xk, freqs_cis):
    xq_ = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    xk_ = torch.view_as_complex(xk.float().reshape(*xk.shape[:-1], -1, 2))
    freqs_cis = reshape_for_broadcast(freqs_cis, xq_)
    xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3)
    xk_out = torch.view_as_real(xk_ * freqs_cis).flatten(3)
    return xq_out.type_as(xq), xk_out.type_as(xk)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        norm = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return norm * self.weight


class Attention(nn.Module):
    def __init__(self, dim, n_heads):
        super().__init__()
        self.n_heads, self.head_dim = n_heads, dim // n_heads
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)

    def forward(self, x, freqs_cis, mask):
        bsz, seqlen, _ = x.shape
        xq = self.wq(x).view(bsz, seqlen, self.n_heads, self.head_dim)
        xk = self.wk(x).view(bsz, seqlen, self.n_heads, self.head_dim)
        xv = self.wv(x).view(bsz, seqlen, self.n_heads, self.head_dim)
        xq, xk = apply_rotary_emb(xq, xk, freqs_cis)
        xq, xk, xv = xq.transpose(1, 2), xk.transpose(1, 2), xv.transpose(1, 2)
        scores = torch.matmul(xq, xk.transpose(2, 3)) / math.sqrt(self.head_dim)
        scores = F.softmax((scores + mask).float(), dim=-1).type_as(xq)
        out = torch.matmul(scores, xv).transpose(1, 2).contiguous().view(bsz, seqlen, -1)
        return self.wo(out)


class Block(nn.Module):
    def __init__(self, dim, n_heads):
        super().__init__()
        self.norm = RMSNorm(dim)
        self.attention = Attention(dim, n_heads)

    def forward(self, x, freqs_cis, mask):
        return x + self.attention(self.norm(x), freqs_cis, mask)


dim, n_heads, seqlen = 16, 2, 6
block = Block(dim, n_heads)
freqs_cis = precompute_freqs_cis(dim // n_heads, seqlen * 2)[:seqlen]
mask = torch.full((seqlen, seqlen), float("-inf")).triu(1)
opt = torch.optim.AdamW(block.parameters(), lr=1e-2, weight_decay=0.1)
x = torch.randn(2, seqlen, dim)
target = torch.randn(2, seqlen, dim)
for step in range(3):
    opt.zero_grad()
    loss = F.mse_loss(block(x, freqs_cis, mask), target)
    loss.backward()
    opt.step()
    print(step, loss.item())
