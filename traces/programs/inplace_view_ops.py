"""The in-place view operators on tensors with history and without.

`transpose_`, `t_`, `unsqueeze_`, `squeeze_(dim)` and `squeeze_()` change a
tensor's geometry in place: the version counter moves, the tensor keeps its
identity, and its new node (TransposeBackward1, TBackward1,
UnsqueezeBackward1, SqueezeBackward4, SqueezeBackward3) chains on its
history — on a view too, without CopySlices. Then `t_` under no_grad on a
buffer written in place afterwards, and one SGD step through them.
"""

import torch

torch.manual_seed(0)

w = torch.randn(2, 3, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.1)

a = w * 2
a.transpose_(0, 1)
b = (w * 3).t_()
c = (w + 1).unsqueeze_(0)
d = (w - 1).unsqueeze(0).squeeze_(0)  # an in-place view op on a view
e = (w * w).unsqueeze(1).squeeze_()
loss = a.sum() + (b * b).sum() + c.mean() + (d * a.t()).sum() + e.pow(3).sum()
loss.backward()
opt.step()

with torch.no_grad():
    buf = torch.zeros(2, 3)
    buf.t_()
    buf.add_(w.t())
print(tuple(a.shape), tuple(c.shape), f"{loss.item():.4f}", buf.sum().item())
