"""Attention-style matrix products in float32 and bfloat16: a masked
multi-head attention written with `@` (matmul -> expand/view -> bmm ->
_unsafe_view), softmax over a causal mask and a LayerNorm without affine
parameters; baddbmm with beta/alpha, addmv, matrix @ vector,
N-d @ matrix and vector @ vector (dot), each with its backward.
"""

import math

import torch
import torch.nn.functional as F

torch.manual_seed(0)

for dtype in (torch.float32, torch.bfloat16):
    b, heads, t, d = 1, 2, 3, 4
    q = torch.randn(b, heads, t, d, dtype=dtype, requires_grad=True)
    k = torch.randn(b, heads, t, d, dtype=dtype, requires_grad=True)
    v = torch.randn(b, heads, t, d, dtype=dtype, requires_grad=True)
    mask = torch.ones(t, t).tril().view(1, 1, t, t)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d))
    att = att.masked_fill(mask == 0, float("-inf"))
    att = F.softmax(att, dim=-1)
    y = F.layer_norm(att @ v, (d,))
    (y * torch.randn(b, heads, t, d, dtype=dtype)).sum().backward()

    batch1 = torch.randn(2, 2, 3, dtype=dtype, requires_grad=True)
    batch2 = torch.randn(2, 3, 2, dtype=dtype, requires_grad=True)
    bias = torch.randn(2, 2, 2, dtype=dtype, requires_grad=True)
    torch.baddbmm(bias, batch1, batch2, beta=0.5, alpha=2.0).sum().backward()
    mat = torch.randn(3, 4, dtype=dtype, requires_grad=True)
    vec = torch.randn(4, dtype=dtype, requires_grad=True)
    (torch.addmv(torch.randn(3, dtype=dtype), mat, vec) * 2).sum().backward()
    (mat @ vec).sum().backward()
    (batch1 @ mat).sum().backward()
    (vec @ vec).backward()
