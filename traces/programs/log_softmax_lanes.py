"""float32 log-softmax over the last dimension, bit for bit.

ATen's CPU kernel takes each row's max, sums `exp(x - max)` in 16 vector
lanes (SLEEF's `exp`; a last partial vector adds into the first lanes;
the lanes then added pairwise by halves; a row shorter than 16 left to
right), takes SLEEF's `log` of the sum and writes `(x - max) - log_sum`;
the backward is `g - exp(y) * sum(g)` with the same sum and `exp`. Rows of
3 to 1000 elements, large and tiny logits, masked (-inf) classes, a
transposed input (made contiguous first), a 1-d and a 3-d input, and the
float64 form beside them.
"""

import torch
import torch.nn.functional as F

torch.manual_seed(0)

for n in (3, 15, 16, 17, 33, 100, 1000):
    x = (torch.randn(4, n) * 6).requires_grad_()
    y = F.log_softmax(x, dim=-1)
    y.backward(torch.randn(4, n))

# Confident rows (one logit far above the rest) and masked classes.
z = torch.randn(3, 40) * 0.01
z[0, 7] = 80.0
z[1, :20] = float("-inf")
z[2, 1] = -90.0
z.requires_grad_()
F.log_softmax(z, dim=1).backward(torch.ones(3, 40))

# A transposed input, a single row, a batch of sequences (3-d).
t = torch.randn(24, 5).t().requires_grad_()
F.log_softmax(t, dim=-1).backward(torch.randn(5, 24))
F.log_softmax(torch.randn(50) * 4, dim=0)
s = torch.randn(2, 6, 29, requires_grad=True)
F.log_softmax(s, dim=2).backward(torch.randn(2, 6, 29))

# float64 beside it.
d = torch.randn(3, 70, dtype=torch.float64, requires_grad=True)
F.log_softmax(d, dim=-1).backward(torch.randn(3, 70, dtype=torch.float64))
