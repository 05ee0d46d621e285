"""The saved-tensor version check: an activation saved for backward is
modified in place (`h.mul_(2)` after `tanh` saved `h`), backward raises
"one of the variables needed for gradient computation has been modified by
an inplace operation", the program catches it, fixes the code path (an
out-of-place multiply) and trains on. Then a second backward through a freed
graph raises "Trying to backward through the graph a second time", caught
too; a float64 copy checks the message's tensor type, and a saved view whose
base was written through another view checks the history it names. A gradient of the
wrong shape and an implicit gradient for a non-scalar output are refused
before the engine starts. Each failed backward ends with a
graph_task_error."""

import torch
from torch import nn

torch.manual_seed(0)

w1 = nn.Parameter(torch.randn(3, 4) * 0.5)
w2 = nn.Parameter(torch.randn(4, 2) * 0.5)
optimizer = torch.optim.SGD([w1, w2], lr=0.1)
x = torch.randn(5, 3)
y = torch.randn(5, 2)


def forward(inplace: bool) -> torch.Tensor:
    h = torch.tanh(x @ w1)
    if inplace:
        h.mul_(2)  # tanh saved h for its backward
    else:
        h = h * 2
    return ((h @ w2 - y) ** 2).mean()


errors = []
optimizer.zero_grad()
try:
    forward(inplace=True).backward()
except RuntimeError as e:
    errors.append(str(e).split(":")[0])

for step in range(2):
    optimizer.zero_grad()
    loss = forward(inplace=False)
    loss.backward()
    optimizer.step()

try:
    loss.backward()  # the graph was freed by the first backward
except RuntimeError as e:
    errors.append(str(e).split(".")[0])

e = torch.exp(x.double() @ w1.double())
e.add_(1)  # exp saved its result
try:
    e.sum().backward()
except RuntimeError as err:
    errors.append(str(err)[:40])

# A saved input that is a view whose base was then written through another
# view: the message names the view's history as PyTorch regenerates it while
# describing the tensor (AsStrided, taking the next sequence number then),
# and the view trains on through that history.
base = (x @ w1) * 1
window = base[:, 1:]
s = torch.sin(window)  # sin saved the view
base[:, :2].mul_(2)
try:
    s.sum().backward(retain_graph=True)
except RuntimeError as err:
    errors.append(str(err)[95:170])
(window * 3).sum().backward()

# Gradients backward() refuses before the engine starts.
out = torch.tanh(x @ w1)
for grad in (torch.ones(4), None):
    try:
        out.backward(grad)
    except RuntimeError as err:
        errors.append(str(err)[:30])

print(errors, loss.item())
