"""A default dtype set and restored before any op is not a change; one set
before the first op is written before it; set_default_tensor_type changes it too."""

import warnings

import torch

torch.set_default_dtype(torch.float64)
torch.set_default_dtype(torch.float32)
a = torch.zeros(2)
torch.set_default_dtype(torch.float16)
b = torch.ones(2)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    torch.set_default_tensor_type(torch.DoubleTensor)
c = torch.zeros(1)
torch.set_default_dtype(torch.float32)
d = torch.ones(1)
