"""Shape plumbing of a tiny attention block, forward and backward, in
float32 and float64: a fused qkv projection split into heads
(`split`, `view`, `transpose`), scores masked with a causal `tril`,
heads merged back (`transpose` + `contiguous` + `view`, and `reshape`
through a copy: `_unsafe_view`), `permute`, `chunk`, `unbind`, `cat`,
`squeeze`/`unsqueeze`, `narrow`/slicing and `flatten`. Integer, bool and
half-precision tensors go through the same views and joins without
autograd (int64 values above 2^53 stay exact)."""

import torch

torch.manual_seed(0)

B, T, C, H = 2, 3, 4, 2


def block(x: torch.Tensor, w_qkv: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    b, t, c = x.shape
    qkv = x.reshape(b * t, c) @ w_qkv                  # view + mm
    q, k, v = qkv.view(b, t, 3 * c).split(c, dim=2)    # split.Tensor
    q = q.reshape(b, t, H, c // H).transpose(1, 2)     # view (unobserved: _reshape_alias, CAPTURE.md §9)
    k = k.reshape(b, t, H, c // H).transpose(1, 2)
    v = v.reshape(b, t, H, c // H).permute(0, 2, 1, 3)  # permute
    scores = (q * k).sum(-1, keepdim=True) * mask[:t].unsqueeze(0).unsqueeze(0)[..., :1]
    y = (v * scores).transpose(1, 2).contiguous().view(b, t, c)
    return y


for dtype in (torch.float32, torch.float64):
    x = torch.randn(B, T, C, dtype=dtype, requires_grad=True)
    w_qkv = torch.randn(C, 3 * C, dtype=dtype, requires_grad=True)
    mask = torch.tril(torch.ones(T, T, dtype=dtype))
    y = block(x, w_qkv, mask)
    first, second = y.chunk(2, dim=-1)                  # split with a negative dim
    rows = torch.stack(y.unbind(1), 0)                  # unbind + stack
    joined = torch.cat([first, second * 2, x.narrow(2, 1, 2)], dim=2)
    flat = joined.flatten(1)                            # view
    wide = torch.cat([flat, flat[:, ::3]], dim=1)       # slice with a step
    col = x[:, :, 1:2].squeeze(-1) + x[:, 0:1, :].squeeze().sum()
    z = x.unsqueeze(0).squeeze(0).permute(2, 0, 1).tril(-1).triu(-2)
    loss = wide.sum() + (rows * rows).sum() + col.sum() + z.sum()
    loss.backward()

big = torch.tensor([[2**60 + 1, -3, 7], [5, 2**55 + 3, -9]])
print(torch.cat([big, big.flip(0)], 1).transpose(0, 1)[1::2].tolist())
print([t.tolist() for t in big.split([1, 2], dim=1)], big.permute(1, 0).unbind(0)[2].tolist())
flags = torch.tensor([[True, False, True], [False, True, True]])
print(torch.cat([flags, flags.tril()], 0).t().tolist())
half = torch.randn(2, 3).to(torch.float16)
print(torch.cat([half, half.transpose(0, 1).reshape(2, 3)], 0).tolist())
bf = torch.randn(3, 2).to(torch.bfloat16)
print(bf.repeat(2, 1).triu().tolist())
