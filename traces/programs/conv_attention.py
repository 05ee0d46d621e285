"""Scaled dot-product attention forward and backward.

On CPU, F.scaled_dot_product_attention runs
_scaled_dot_product_flash_attention_for_cpu for 4-d float32 inputs with one
head size, no mask and no dropout (node
ScaledDotProductFlashAttentionForCpuBackward0; its logsumexp output has no
grad_fn); the gradients come back stored (B, L, H, E), so AccumulateGrad
copies them into the leaves' layout. (float64, float16/bfloat16, an
explicit mask or 3-d inputs take the math path: bmm, _safe_softmax.)
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

# plain tensors: non-causal, causal with a custom scale, query and key lengths differ
q = torch.randn(2, 2, 4, 8, requires_grad=True)
k = torch.randn(2, 2, 6, 8, requires_grad=True)
v = torch.randn(2, 2, 6, 8, requires_grad=True)
out = F.scaled_dot_product_attention(q, k, v)
causal = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.25)
(out.sum() + (causal * causal).sum()).backward()

# self-attention as in a GPT block: fused qkv projection, heads as transposed views
B, T, H, E = 2, 5, 2, 4
x = torch.randn(B, T, H * E, requires_grad=True)
qkv = nn.Linear(H * E, 3 * H * E)
proj = nn.Linear(H * E, H * E)
a, b, c = qkv(x).split(H * E, dim=2)
a = a.view(B, T, H, E).transpose(1, 2)
b = b.view(B, T, H, E).transpose(1, 2)
c = c.view(B, T, H, E).transpose(1, 2)
y = F.scaled_dot_product_attention(a, b, c, is_causal=True)
y = proj(y.transpose(1, 2).contiguous().view(B, T, H * E))
(y * y).mean().backward()

# inference
with torch.no_grad():
    F.scaled_dot_product_attention(q, k, v, is_causal=True)
