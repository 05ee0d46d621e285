"""In-place operators on views of tensors that require grad (CopySlices):
the base's history moves to a CopySlices node wrapping the operator's node,
and the view gets an AsStridedBackward0 node. Two SGD steps of a Linear layer
whose activations are edited through views: `mul_` by a parameter through a transposed row (the original self is cloned
first), `add_` through `unsqueeze` and `select`, `mul_` by a number through
`narrow`, `relu_` through `view` (the view is used afterwards:
AsStridedBackward0 runs), `tanh_` on a column slice of a matmul result,
`x[:, 1] = p` (`copy_`)
into a buffer that does not require grad, `x[0] = 0.25` (`fill_`),
`x[2].zero_()`, a view taken before its base was modified through another
view and used after (its history is regenerated), and a mask assignment on
a non-leaf."""

import torch
from torch import nn

torch.manual_seed(0)

lin = nn.Linear(4, 6)
proj = nn.Parameter(torch.randn(4, 3) * 0.5)
scale = nn.Parameter(torch.randn(3))
column = nn.Parameter(torch.randn(3))
optimizer = torch.optim.SGD([*lin.parameters(), proj, scale, column], lr=0.05)

for step in range(2):
    x = torch.randn(3, 4)
    # Operators that save no tensor of `h` first; relu_ (which saves its
    # result) last: every view shares the base's version counter.
    h = lin(x)
    h.unsqueeze(0)[:, 0, 3].add_(1.5)
    h.t()[1].mul_(scale)
    h.narrow(1, 4, 2).mul_(0.5)
    y = h.view(18)
    y.relu_()
    g = x @ proj
    first = g[:, 0]
    g[:, :2].tanh_()
    buf = torch.zeros(3, 4)
    buf[:, 1] = column
    buf[0] = 0.25
    buf[2].zero_()
    z = h[:, :4] * buf
    z[z > 0.5] = 0.0
    # `first` was taken before `g` was modified through another view: its
    # history is regenerated (AsStridedBackward0) when it is next used.
    loss = (y * 2).sum() + z.sum() + g.pow(2).sum() + (first * 4).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

print(loss.item())
