"""Arithmetic, comparison and logic operators forward and backward, across
dtypes: true and rounding division, rsub, pow (all three overloads), sqrt,
rsqrt, exp, log, log1p, reciprocal, abs, sign, clamp and clamp_min/max,
minimum/maximum, lerp, addcmul, addcdiv, remainder, where, masked_fill
(attention-style masking) and comparisons; integer and bool tensors follow
PyTorch's promotion (int / int is float32, int * 2.5 is float32, half * 2.5
stays half)."""

import torch
import torch.nn.functional as F

torch.manual_seed(0)

a = torch.randn(3, 4, requires_grad=True)
b = torch.randn(3, 4, requires_grad=True)
w = torch.randn(4, requires_grad=True)
pos = a.abs() + 0.5

y = (a / b).sum() + (a / 2.0).sum() + (1 - a).sum() + torch.rsub(a, b, alpha=2).sum()
y = y + (a ** 2).sum() + (pos ** b).sum() + (2.0 ** a).sum() + (pos ** -1.5).sum()
y = y + pos.sqrt().sum() + pos.rsqrt().sum() + a.exp().sum() + pos.log().sum() + pos.log1p().sum()
y = y + b.reciprocal().sum() + a.abs().sum() + a.sign().sum()
y = y + a.clamp(-0.5, 0.5).sum() + a.clamp(min=0.0).sum() + a.clamp(max=0.2).sum()
y = y + torch.clamp_min(b, -0.1).sum() + torch.clamp_max(b, 0.1).sum()
y = y + torch.maximum(a, b).sum() + torch.minimum(a, w).sum()
y = y + torch.lerp(a, b, 0.25).sum() + torch.lerp(a, b, 0.75).sum()
y = y + torch.addcmul(a, b, w, value=0.5).sum() + torch.addcdiv(a, b, pos, value=-0.3).sum()
y = y + torch.remainder(a, 0.7).sum() + torch.remainder(a, pos).sum()
y = y + torch.div(a, b, rounding_mode="floor").sum() + torch.div(a, 3, rounding_mode="trunc").sum()
y = y + torch.where(a > b, a, b).sum() + torch.where(b < 0, b, 0.0).sum()

# Attention-style masking: a causal mask filled with -inf, softmax-free.
scores = a @ b.t()
causal = torch.ones(3, 3, dtype=torch.bool).tril()
masked = scores.masked_fill(~causal, float("-inf"))
y = y + masked.clamp(min=-10.0).sum() + scores.masked_fill(scores < 0, 0.0).sum()
y.backward()

# float64 and mixed dtypes.
d = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
e = torch.randn(3, dtype=torch.float32)
z = (d * e).sum() + (d / e).sum() + (d - 2).exp().mean() + torch.where(d > 0, d, e).sum()
z.backward()

# Integers and bool: promotion, exact integer division and bitwise logic.
i = torch.tensor([[7, -7, 3], [0, 5, -2]])
j = torch.tensor([[2, 3, -2], [1, -4, 3]], dtype=torch.int32)
m = i > 0
ints = [i / 2, i * 2.5, i // j, i % j, torch.div(i, j, rounding_mode="trunc"),
        i ** 2, 2 ** j, i.abs(), i.sign(), -i, i.clamp(-3, 3), i.clamp(0.5),
        i == j, i != 2, j >= 0, i < j, i <= 0, ~m, m & (j > 0), m | (j < 0),
        torch.logical_not(m), torch.logical_and(m, j < 0), torch.logical_or(m, j < 0),
        torch.where(m, i, j), i.masked_fill(m, 9), torch.maximum(i, j), i.sqrt(),
        torch.bitwise_and(i, j), torch.bitwise_or(i, 3), i.float().isnan(), (1 / i.float()).isinf()]
h = torch.randn(2, 3).half()
bf = torch.randn(2, 3).bfloat16()
low = [h * 2.5, h > 0.1, h.exp(), h.sqrt(), bf + 1, bf.sigmoid(), torch.lerp(bf, bf * 2, 0.25), h / 3, bf.rsqrt()]
