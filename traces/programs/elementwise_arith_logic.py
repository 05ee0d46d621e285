"""Arithmetic, comparison and logic operators forward and backward, across
dtypes: true and rounding division, rsub, pow (all three overloads), sqrt,
rsqrt, exp, log, log1p, reciprocal, abs, sign, clamp with number and tensor
bounds, clamp_min/max, minimum/maximum, lerp, addcmul, addcdiv, remainder,
where, masked_fill (attention-style masking) and comparisons; integer and bool tensors follow
PyTorch's promotion (int / int is float32, int * 2.5 is float32, half * 2.5
stays half)."""

import torch
import torch.nn.functional as F

torch.manual_seed(0)

a = torch.randn(2, 3, requires_grad=True)
b = torch.randn(2, 3, requires_grad=True)
w = torch.randn(3, requires_grad=True)
pos = a.abs() + 0.5

y = (a / b) + (a / 2.0) + (1 - a) + torch.rsub(a, b, alpha=2)
y = y + (a ** 2) + (pos ** b) + (2.0 ** a) + (pos ** -1.5)
y = y + pos.sqrt() + pos.rsqrt() + a.exp() + pos.log() + pos.log1p()
y = y + b.reciprocal() + a.abs() + a.sign()
y = y + a.clamp(-0.5, 0.5) + a.clamp(min=0.0) + a.clamp(max=0.2)
y = y + torch.clamp_min(b, -0.1) + torch.clamp_max(b, 0.1)
y = y + torch.maximum(a, b) + torch.minimum(a, w)
y = y + torch.lerp(a, b, 0.25) + torch.lerp(a, b, 0.75)
y = y + torch.addcmul(a, b, w, value=0.5) + torch.addcdiv(a, b, pos, value=-0.3)
y = y + torch.remainder(a, 0.7) + torch.remainder(a, pos)
y = y + torch.div(a, b, rounding_mode="floor") + torch.div(a, 3, rounding_mode="trunc")
y = y + torch.where(a > b, a, b) + torch.where(b < 0, b, 0.0)
y = y + a.clamp(b, b + 0.5) + a.clamp(min=w) + torch.clamp_min(a, b) + torch.clamp_max(a, w)

# Attention-style masking: a causal mask filled with -inf, softmax-free.
scores = a @ b.t()
causal = torch.ones(2, 2, dtype=torch.bool).tril()
masked = scores.masked_fill(~causal, float("-inf"))
y = y + masked.clamp(min=-10.0).sum() + scores.masked_fill(scores < 0, 0.0).sum()
y.sum().backward()

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
        torch.bitwise_and(i, j), torch.bitwise_or(i, 3), i.float().isnan(), (1 / i.float()).isinf(),
        torch.fmod(i, j), torch.logical_xor(m, j > 0), i.floor()]
h = torch.randn(2, 3).half()
bf = torch.randn(2, 3).bfloat16()
low = [h * 2.5, h > 0.1, h.exp(), h.sqrt(), bf + 1, bf.sigmoid(), torch.lerp(bf, bf * 2, 0.25), h / 3, bf.rsqrt()]
