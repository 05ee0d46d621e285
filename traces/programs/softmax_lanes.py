"""float32 softmax over the last dimension, bit for bit.

ATen's CPU kernel takes each row's max, writes `exp(x - max)` for every
element with SLEEF's `exp` (a last partial vector goes through the same
lanes), sums them in 16 vector lanes (a partial last vector adds into the
first lanes, the lanes then added pairwise by halves; a row shorter than
16 left to right), takes the float32 reciprocal of the sum and multiplies
each exponential by it. Rows of 1 to 1000 elements, attention scores
under a causal mask, a fully masked row (NaN through `_softmax`, zeros
through the math `scaled_dot_product_attention`'s `_safe_softmax`), bfloat16
scores softmaxed in float32 with `dtype=`, a transposed input, a
temperature-scaled 3-d input, and float64 beside them; each with its
backward.
"""

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

torch.manual_seed(0)

for n in (1, 3, 15, 16, 17, 33, 100, 1000):
    x = (torch.randn(4, n) * 5).requires_grad_()
    F.softmax(x, dim=-1).backward(torch.randn(4, n))

# Attention scores under a causal mask, one query row fully masked.
q = torch.randn(2, 3, 9, 8, requires_grad=True)
k = torch.randn(2, 3, 9, 8)
scores = q @ k.transpose(-2, -1) / 8**0.5
causal = torch.ones(9, 9, dtype=torch.bool).triu(1)
probs = scores.masked_fill(causal, float("-inf")).softmax(dim=-1)
probs.backward(torch.randn(2, 3, 9, 9))

keep = torch.ones(9, 9, dtype=torch.bool).tril()
keep[4] = False
v = torch.randn(2, 3, 9, 8, requires_grad=True)
with sdpa_kernel(SDPBackend.MATH):
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
out.sum().backward()
with torch.no_grad():
    masked = torch.randn(3, 12)
    masked[1] = float("-inf")
    F.softmax(masked, dim=-1)

# bfloat16 scores softmaxed in float32, a transposed input, a temperature.
b = torch.randn(5, 40).bfloat16().requires_grad_()
F.softmax(b, dim=-1, dtype=torch.float32).backward(torch.randn(5, 40))
t = torch.randn(30, 6).t().requires_grad_()
F.softmax(t, dim=-1).backward(torch.randn(6, 30))
s = torch.randn(2, 5, 21, requires_grad=True)
F.softmax(s / 0.07, dim=2).backward(torch.randn(2, 5, 21))

# float64 beside it.
d = torch.randn(3, 70, dtype=torch.float64, requires_grad=True)
F.softmax(d, dim=-1).backward(torch.randn(3, 70, dtype=torch.float64))
