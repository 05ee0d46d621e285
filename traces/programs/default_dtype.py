"""torch.set_default_dtype: factories without a dtype follow the default.

float64 default: zeros, randn, arange(3.0) and ones make float64 tensors,
a float64 graph runs backward; back to float32: ones makes float32.
"""

import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
z = torch.zeros(3)
r = torch.randn(3)
a = torch.arange(3.0)
w = torch.ones(3).requires_grad_()
loss = ((z + a + r) * w).sum()
loss.backward()
torch.set_default_dtype(torch.float32)
o = torch.ones(2)
s = o + o
