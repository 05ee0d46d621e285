"""A float64 multi-head attention block: written-out attention (masked_fill, softmax), SDPA with a boolean mask, causal SDPA, SDPA with an additive mask and a scale; one backward."""

import math

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(10)
dt = torch.float64
B, T, D, H = 2, 4, 6, 2


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(D, 3 * D, dtype=dt)
        self.out = nn.Linear(D, D, dtype=dt)
        self.norm = nn.LayerNorm(D, dtype=dt)

    def heads(self, z):
        return z.view(B, T, H, D // H).transpose(1, 2)

    def forward(self, x, manual: bool, mask):
        q, k, v = self.qkv(self.norm(x)).chunk(3, dim=-1)
        q, k, v = self.heads(q), self.heads(k), self.heads(v)
        if manual:
            att = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
            att = att.masked_fill(~mask, float("-inf"))
            y = att.softmax(dim=-1) @ v
        elif mask is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return x + self.out(y.transpose(1, 2).reshape(B, T, D))


blk = Block()
x = torch.randn(B, T, D, dtype=dt, requires_grad=True)
causal = torch.ones(T, T, dtype=torch.bool).tril()
y1 = blk(x, manual=True, mask=causal)
y2 = blk(x, manual=False, mask=causal)
y4 = blk(x, manual=False, mask=None)
print(torch.allclose(y1, y2), torch.allclose(y2, y4))
bias = torch.randn(B, 1, T, T, dtype=dt)
y3 = F.scaled_dot_product_attention(*(blk.heads(t) for t in blk.qkv(x).chunk(3, -1)), attn_mask=bias, scale=0.3)
loss = y1.pow(2).mean() + y2.square().mean() + y3.sum() + y4.abs().mean()
loss.backward()
print(x.grad.dtype, blk.qkv.weight.grad.shape)
