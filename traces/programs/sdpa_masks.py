"""F.scaled_dot_product_attention with is_causal, a boolean mask and a float mask.

float32 and float64 queries/keys/values that require grad: a causal call, a
boolean attn_mask (True = attend; the diagonal kept), and an additive float
mask with an explicit `scale`; one backward through all three per step, two
SGD steps per dtype.
"""

import torch
import torch.nn.functional as F

torch.manual_seed(0)

BATCH, HEADS, SEQ, DIM = 1, 2, 3, 2

for dtype in (torch.float32, torch.float64):
    q = torch.randn(BATCH, HEADS, SEQ, DIM, dtype=dtype, requires_grad=True)
    k = torch.randn(BATCH, HEADS, SEQ, DIM, dtype=dtype, requires_grad=True)
    v = torch.randn(BATCH, HEADS, SEQ, DIM, dtype=dtype, requires_grad=True)
    keep = torch.rand(SEQ, SEQ) > 0.3
    keep.fill_diagonal_(True)
    opt = torch.optim.SGD([q, k, v], lr=0.1)
    for step in range(2):
        opt.zero_grad()
        causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        masked = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
        scaled = F.scaled_dot_product_attention(q, k, v, attn_mask=keep.to(dtype) * -0.5, scale=0.3)
        loss = (causal * masked).sum() + scaled.pow(2).sum()
        loss.backward()
        opt.step()
    print(dtype, f"loss {loss.item():.4f}")
