"""Moving a tensor that requires grad from cpu to the meta device.

`x.to("meta")` dispatches `aten._to_copy(device=meta)`: a ToCopyBackward0
node and a device `transfer` event cpu -> meta. Work on meta tensors
computes shapes and strides only (no values are recorded); a factory with
`device="meta"` selects the Meta kernel through BackendSelect; under
`no_grad` the autograd kernel records no node. No backward: PyTorch cannot
copy a gradient out of a meta tensor back to the CPU.
"""

import torch

torch.manual_seed(0)
x = torch.randn(4, 3, requires_grad=True)
m = x.to("meta")
with torch.no_grad():
    shifted = m + torch.empty(4, 3, device="meta")
y = (m * 2).sum(dim=0)
z = y.view(3, 1).expand(3, 2)
