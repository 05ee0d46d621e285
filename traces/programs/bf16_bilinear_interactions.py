"""A bfloat16 pairwise-interaction scorer with batch size 1, as feature
crossing models write one: a max_norm Embedding (rows renormalised in
place) and a padding_idx Embedding with scale_grad_by_freq feed an
nn.Bilinear in bfloat16 (`_trilinear` contracts x1 · W first, rounded to
bfloat16, then with x2; its backward is three more `_trilinear` calls),
Hardswish, SELU, GLU, Tanhshrink and Hardshrink on its output, a
max_pool1d with indices undone by max_unpool1d, an LPPool2d over a
bfloat16 conv, and a float64 Bilinear on a batch of two; SGD."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
bilinear = nn.Bilinear(4, 3, 5).to(torch.bfloat16)
emb = nn.Embedding(10, 4, max_norm=1.0).to(torch.bfloat16)
emb_pad = nn.Embedding(10, 3, padding_idx=0, scale_grad_by_freq=True).to(torch.bfloat16)
conv = nn.Conv2d(2, 2, 3, padding=1).to(torch.bfloat16)
lp_pool = nn.LPPool2d(2, 2)
cross64 = nn.Bilinear(3, 3, 2).double()
params = [
    *bilinear.parameters(),
    *emb.parameters(),
    *emb_pad.parameters(),
    *conv.parameters(),
    *cross64.parameters(),
]
opt = torch.optim.SGD(params, lr=0.1)

for step in range(2):
    ids = torch.tensor([[1, 3, 3, 0]])
    y = bilinear(emb(ids), emb_pad(ids))
    y = (
        F.hardswish(y)
        + F.selu(y)
        + F.glu(torch.cat([y, y], -1))
        + F.tanhshrink(y)
        + F.hardshrink(y, 0.2)
    )
    pooled, idx = F.max_pool1d(y.transpose(1, 2), 2, return_indices=True)
    unpooled = F.max_unpool1d(pooled, idx, 2, output_size=[4])
    img = torch.randn(1, 2, 4, 4).to(torch.bfloat16)
    c = lp_pool(conv(img))
    z = torch.randn(2, 3, dtype=torch.float64)
    cross = cross64(z, z.flip(0))
    loss = (
        y.float().pow(2).mean()
        + c.float().mean()
        + unpooled.float().sum()
        + cross.pow(2).mean().float()
    )
    opt.zero_grad()
    loss.backward()
    opt.step()
