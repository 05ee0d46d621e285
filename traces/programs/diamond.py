"""Gradients that meet: a diamond, a leaf used twice, a chain of adds.

* `h` feeds two multiplications, so MulBackward0 of `h` receives two
  gradients; the engine sums them in the node's input buffer before the
  node runs (out of place, `aten.add`, under the capture's dispatch mode).
* `w * w` uses a leaf twice in one op: two edges from one node to the same
  AccumulateGrad, counted twice as dependencies.
* `y + x` three times: x's AccumulateGrad collects four gradients (three
  adds and the product), summed in its input buffer one by one.
"""

import torch

torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
w = torch.randn(3, requires_grad=True)
h = x * w
d = h * 2 + h * 3
sq = w * w
y = d
for _ in range(3):
    y = y + x
loss = (y + sq).sum()
loss.backward()
