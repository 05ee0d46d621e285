"""In-place and `out=` clamps of ReLU'd features: the signs of zeros.

A feature extractor floors and caps its ReLU'd activations in place
against per-feature tensor bounds (`clamp_min_`, `clamp_max_`, `clamp_`
with tensor bounds) and keeps a running elementwise maximum and minimum
in preallocated buffers (`torch.maximum(..., out=)`, `torch.minimum(...,
out=)`). Negative weights times exact zeros give `-0.0`, the bounds are
`+0.0`: between the two PyTorch's vectorised loop returns the second
operand and its scalar loop (the tail of each run) the first, whether the
result is a new tensor, `self` or an `out=` buffer. Rows of 37 features
leave a five-element tail in float32 (vectors of 16), five in float64
(vectors of 8) and all of them in bfloat16 (vectors of 32); a transposed
buffer runs entirely in the scalar loop. A long bfloat16 activation of
40,003 elements is clamped in place on torch's two intra-op threads, each
taking half of it: the scalar tails sit at the end of each half. The
program counts sign bits, so a wrong pick changes a printed count.
"""

import torch

torch.manual_seed(0)

features = torch.relu(torch.randn(24, 1))
weights = -torch.rand(1, 37)
acts = features * weights  # exact zeros are -0.0 where a feature is off

floor = torch.zeros(37)
cap = torch.zeros(24, 37)
lower = torch.zeros(37) - 1.0
upper = torch.zeros(24, 37)

a = acts.clone()
a.clamp_min_(floor)
b = acts.clone()
b.clamp_max_(cap)
c = acts.clone()
c.clamp_(lower, upper)
print(int(torch.signbit(a).sum()), int(torch.signbit(b).sum()), int(torch.signbit(c).sum()))

running_max = torch.empty(24, 37)
running_min = torch.empty(24, 37)
torch.maximum(acts, floor, out=running_max)
torch.minimum(cap, acts, out=running_min)
print(int(torch.signbit(running_max).sum()), int(torch.signbit(running_min).sum()))

wide = acts.double()
wide.clamp_min_(floor.double())
short = acts.bfloat16()
short.clamp_(min=floor.bfloat16())
print(int(torch.signbit(wide).sum()), int(torch.signbit(short).sum()))

# a transposed buffer: every element in the scalar loop
t_max = torch.empty(37, 24).t()
torch.maximum(acts, floor, out=t_max)
print(int(torch.signbit(t_max).sum()))

# a long activation split over two threads
signal = -torch.relu(torch.randn(40003) - 2.0)
long_acts = signal.bfloat16()
long_acts.clamp_min_(torch.zeros(40003, dtype=torch.bfloat16))
print(int(torch.signbit(long_acts).sum()), int(torch.signbit(long_acts[19990:20010]).sum()))
print(torch.signbit(long_acts[-3:]).tolist())
