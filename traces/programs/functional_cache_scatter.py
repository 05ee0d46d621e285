"""Functional tensor updates with the scatter family, as code written for
functional transforms and export (no in-place writes) builds its tensors.

A tiny autoregressive decoder keeps its key/value cache functional: each
step writes the new key and value into the cache with
`slice_scatter(cache, kv, dim=1, start=t, end=t + 1)`, and the query row
of a learned class token replaces row 0 of the sequence by
`select_scatter`. A learned positional table is assembled from two
learned halves by strided `slice_scatter` (even and odd positions).
Gradients reach both the scattered-into tensor and the source
(SelectScatterBackward0, SliceScatterBackward0: zeros of the source's
size scattered into the gradient, then the gradient's view). Trained
three Adam steps in float32, then one float64 step with a negative index
and an open-ended slice.
"""
# cpu-dependent-values: a matrix product's last-bit rounding differs between CPUs, and Adam divides each gradient by its own magnitude, so a near-zero gradient element moves its weight by a whole step

import torch
from torch import nn

torch.manual_seed(7)
B, T, D = 2, 5, 8


class Decoder(nn.Module):
    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__()
        self.cls = nn.Parameter(torch.randn(D, dtype=dtype))
        self.pos_even = nn.Parameter(torch.randn(3, D, dtype=dtype) * 0.1)
        self.pos_odd = nn.Parameter(torch.randn(2, D, dtype=dtype) * 0.1)
        self.kv = nn.Linear(D, 2 * D, dtype=dtype)
        self.out = nn.Linear(D, 1, dtype=dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pos = torch.zeros(T, D, dtype=x.dtype)
        pos = torch.slice_scatter(pos, self.pos_even, dim=0, start=0, end=T, step=2)
        pos = torch.slice_scatter(pos, self.pos_odd, dim=0, start=1, step=2)
        h = x + pos
        first = h.select(1, 0) + self.cls
        h = torch.select_scatter(h, first, 1, 0)
        cache_k = torch.zeros(B, T, D, dtype=x.dtype)
        cache_v = torch.zeros(B, T, D, dtype=x.dtype)
        outs = []
        for t in range(T):
            k, v = self.kv(h[:, t : t + 1]).chunk(2, dim=-1)
            cache_k = cache_k.slice_scatter(k, dim=1, start=t, end=t + 1)
            cache_v = cache_v.slice_scatter(v, dim=1, start=t, end=t + 1)
            att = (h[:, t : t + 1] @ cache_k[:, : t + 1].transpose(1, 2)) / D**0.5
            outs.append(att.softmax(-1) @ cache_v[:, : t + 1])
        return self.out(torch.cat(outs, 1)).squeeze(-1)


x = torch.randn(B, T, D)
y = torch.randn(B, T)
model = Decoder(torch.float32)
opt = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(3):
    loss = (model(x) - y).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("step", step, loss.item())

m64 = Decoder(torch.float64)
x64 = torch.randn(B, T, D, dtype=torch.float64)
board = torch.zeros(B, T, D, dtype=torch.float64, requires_grad=True)
edited = torch.select_scatter(board, x64[:, -1], 1, -1)
edited = torch.slice_scatter(edited, x64[:, :2] * 2, dim=1, end=2)
loss64 = m64(edited).pow(2).sum()
loss64.backward()
print("float64", loss64.item(), board.grad.abs().sum().item(), m64.cls.grad.norm().item())
