"""Outer-product attention scores and masked maxima: the signs of zeros.

A single sequence's rank-one attention scores, `torch.bmm(q, k)` with
`q` `[1, 40, 1]` and `k` `[1, 1, 30]`, where `q` comes out of a ReLU and so
holds exact zeros: `0 * -x` is `-0.0`. PyTorch's CPU `bmm` runs a batch of
one with at least 400 products as one GEMM, which writes each product as it
is, while a batch of four smaller score blocks (`[4, 12, 1] @ [4, 1, 9]`)
goes through its own loop, which accumulates from `+0.0`. The scores are
then floored and capped against tensors of zeros: `torch.maximum`,
`torch.minimum`, `clamp_min`/`clamp_max` with a tensor bound and `clamp`
with tensor bounds. Between `-0.0` and `+0.0` PyTorch's vectorised loop
returns the second operand and its scalar loop (the tail of each row of 30
or 9) the first, so a row's signs change part way along. The same maxima
run in float64 and bfloat16, whose vectors hold 8 and 32 elements. `fmax`/`fmin`
keep the first operand of a tie in either loop (the second in bfloat16).
"""

import torch

torch.manual_seed(0)

q = torch.relu(torch.randn(1, 40, 1))
k = torch.randn(1, 1, 30)
scores = torch.bmm(q, k)

qb = torch.relu(torch.randn(4, 12, 1))
kb = torch.randn(4, 1, 9)
blocks = torch.bmm(qb, kb)

floor = torch.zeros(30)
cap = torch.zeros(1, 40, 30)
kept = torch.maximum(scores, floor)
dropped = torch.minimum(scores, cap)
lower = scores.clamp_min(floor)
upper = torch.clamp_max(cap, scores)
band = torch.clamp(blocks, min=torch.zeros(9), max=torch.zeros(4, 12, 9))

wide = torch.maximum(scores.double(), floor.double())
short = torch.minimum(scores.bfloat16(), cap.bfloat16())
flipped = torch.maximum(floor, scores)

print(int((kept == 0).sum()), int(torch.signbit(kept).sum()), int(torch.signbit(band).sum()))
print(int(torch.signbit(wide).sum()), int(torch.signbit(short).sum()), int(torch.signbit(flipped).sum()))
print(float(lower.sum()), float(upper.sum()), float(dropped.sum()))

# NaN-ignoring extrema keep the first operand of a tie (the second in bfloat16)
either = torch.fmax(scores, floor)
neither = torch.fmin(cap.bfloat16(), scores.bfloat16())
print(int(torch.signbit(either).sum()), int(torch.signbit(neither).sum()))
