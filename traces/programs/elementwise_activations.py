"""Activations forward and backward in float32, float64, float16 and
bfloat16: a small network whose hidden layers go through gelu (exact and
tanh), silu, sigmoid, tanh, softplus, leaky_relu, elu, celu, selu,
hardtanh/relu6, hardswish, hardsigmoid, mish, logsigmoid, glu and in-place
relu/leaky_relu/elu/sigmoid_/tanh_ as nn modules call them; the smooth and
rounding unary functions (sin, cos, expm1, exp2, log2, log10, erf, floor,
ceil, trunc, round, frac, nan_to_num), fmod and xlogy (kl_div) in float64."""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

net = nn.Sequential(
    nn.Linear(4, 6), nn.GELU(), nn.Linear(6, 6), nn.SiLU(), nn.Linear(6, 6),
    nn.Tanh(), nn.Linear(6, 6), nn.ELU(inplace=True), nn.Linear(6, 6),
    nn.LeakyReLU(0.1, inplace=True), nn.Linear(6, 6), nn.ReLU(inplace=True),
    nn.Linear(6, 1), nn.Sigmoid(),
)
x = torch.randn(5, 4)
loss = net(x).sum()
loss.backward()

# float64: every remaining activation and its backward operator.
d = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
h = d * 1.5
loss64 = (F.gelu(h, approximate="tanh") + F.softplus(h, beta=2.0, threshold=3.0)
          + F.hardtanh(h, -0.5, 0.5) + F.relu6(h * 4) + F.elu(h, alpha=0.7)
          + F.leaky_relu(h) + torch.sigmoid(h) * torch.tanh(h) + F.celu(h, 0.5) + F.selu(h)
          + F.hardswish(h * 2) + F.hardsigmoid(h * 2) + F.mish(h)).sum()
in_place = (d * 2).sigmoid_() + (d * 3).tanh_()
pos = d.abs() + 0.5
unary_math = (d.sin() + d.cos() + d.expm1() + torch.exp2(d) + pos.log2() + pos.log10() + d.erf()
              + (d * 3).floor() + d.ceil() + d.trunc() + (d * 4).round() + d.round(decimals=1)
              + d.frac() + d.log().nan_to_num() + torch.fmod(d, pos) + F.logsigmoid(d)
              + torch.xlogy(d, pos)).sum() + F.glu(d, 1).sum()
target = torch.softmax(torch.randn(3, 4, dtype=torch.float64), 1)
unary_math = unary_math + F.kl_div(F.log_softmax(d, 1), target, reduction="batchmean")
(loss64 + in_place.sum() + unary_math).backward()

# float16 and bfloat16 keep their dtype through the activations and backward.
for dtype in (torch.float16, torch.bfloat16):
    r = torch.randn(3, 4, dtype=dtype, requires_grad=True)
    low = (F.gelu(r) * torch.tanh(r) + F.silu(r) + torch.sigmoid(r) / 3 + F.elu(r)).sum()
    low.backward()

# Integers: sigmoid and tanh give float32, hardtanh clamps in place of the dtype.
ints = torch.tensor([[-3, 0, 2], [5, -1, 1]])
as_float = torch.sigmoid(ints) + torch.tanh(ints) + F.hardtanh(ints).float()
