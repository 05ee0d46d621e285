"""One graph run three times: backward(retain_graph=True) twice, then backward().

The retained graph keeps its saved tensors, so the same nodes run again
with the same schedule. The first run creates each leaf's `.grad` (a copy
for `b`, whose gradient is a stride-0 expansion; a stolen gradient for `w`);
the next two accumulate into the existing `.grad` in place
(AccumulateGrad's `add_` path), bumping its version each time.
"""

import torch

torch.manual_seed(0)
w = torch.randn(3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
loss = (w * w + b).sum()
loss.backward(retain_graph=True)
loss.backward(retain_graph=True)
loss.backward()
