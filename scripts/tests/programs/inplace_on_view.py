"""In-place ops on views, one of them a temporary.

Autograd moves the base's history onto a CopySlices node and regenerates the
view's grad_fn (AsStridedBackward0) while holding the view's lock; the view
`a[0]` dies with its statement.
"""

import torch

torch.manual_seed(0)
x = torch.randn(4, requires_grad=True)
a = x * 1
a[0].mul_(2)
b = a[1:]
b.add_(1)
a.sum().backward()
