"""Flash attention in bfloat16 and float16, trained and evaluated.

A causal self-attention block (LayerNorm, fused QKV projection, SDPA without
dropout, output projection, residual) in bfloat16 and in float16, two AdamW
steps each and an eval forward under no_grad: every attention call reaches
`_scaled_dot_product_flash_attention_for_cpu` and its backward in the reduced
dtype. Sequences of 20 tokens: in each row of scores the first 16 (one
AVX-512 vector) take ATen's fast exponential, the other 4 the exact one.
Then a float32 call that crosses the kernel's block boundaries (40
query rows, 520 keys) with a boolean mask, and a float32 call whose float
mask hides every key of one row (its output row is zero and its logsumexp 0).

bfloat16 over 520 keys is left out on purpose: its outputs sum hundreds of
terms of both signs, and PyTorch's own result moves by one bfloat16 ulp
against any other float32 summation order, which for outputs near zero is
beyond assert_close's bfloat16 tolerance.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class CausalSelfAttention(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, time, width = x.shape
        q, k, v = self.qkv(self.norm(x)).split(width, dim=2)
        q, k, v = (t.view(batch, time, self.heads, width // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return x + self.proj(y.transpose(1, 2).contiguous().view(batch, time, width))


for dtype in (torch.bfloat16, torch.float16):
    block = CausalSelfAttention(width=16, heads=2).to(dtype)
    # float16 cannot hold AdamW's default eps (1e-8 underflows to 0).
    opt = torch.optim.AdamW(block.parameters(), lr=1e-2, eps=1e-4 if dtype == torch.float16 else 1e-8)
    x = torch.randn(2, 20, 16, dtype=dtype)
    for _ in range(2):
        loss = block(x).float().pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    block.eval()
    with torch.no_grad():
        print(dtype, block(x).float().abs().sum().item())

# Block boundaries: 40 query rows (the backward's 32-row blocks) against 520
# keys (the 512-key blocks of the online softmax), with a boolean mask.
q = torch.randn(1, 2, 40, 8, requires_grad=True)
k = torch.randn(1, 2, 520, 8, requires_grad=True)
v = torch.randn(1, 2, 520, 8, requires_grad=True)
keep = torch.rand(40, 520) > 0.2
out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
(out * torch.linspace(-1, 1, 8)).sum().backward()
print(q.grad.norm().item(), k.grad.norm().item(), v.grad.norm().item())

# A row whose every key is masked: zeros out, logsumexp 0, no gradient.
q = torch.randn(1, 1, 3, 4, requires_grad=True)
k = torch.randn(1, 1, 3, 4, requires_grad=True)
v = torch.randn(1, 1, 3, 4, requires_grad=True)
mask = torch.zeros(1, 1, 3, 3)
mask[0, 0, 1] = float("-inf")
out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
out.sum().backward()
print(out[0, 0, 1].tolist(), q.grad[0, 0, 1].tolist())
