"""In-place edits of activations that backward still needs, made legal by
`torch.autograd.graph.allow_mutation_on_saved_tensors()`: a two-layer
regressor whose hidden activation `h = tanh(fc1(x))` (saved by TanhBackward0
as its output and by the gated product as an input) is gated by a learned
per-feature scale, then halved in place (`h.mul_(0.5)`) and shifted in
place (`gated.add_(0.1)`) after the head used both, trained two SGD steps.
The context's dispatch mode clones a saved tensor before the first in-place
write to it, its unpack hook hands backward the clone (or the untouched
original), and PyTorch's saved variable re-attaches the saved tensor's
history to what the hook returned with a `detach` the mode sees: for a
saved output, a saved non-leaf input, the saved scale parameter (a leaf),
but not for the input batch `x` (no history, no grad). The same step
without the context raises PyTorch's "modified by an inplace operation",
which the program catches."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)

fc1 = nn.Linear(6, 8)
scale = nn.Parameter(torch.ones(8))
head = nn.Linear(8, 3)
opt = torch.optim.SGD(list(fc1.parameters()) + [scale] + list(head.parameters()), lr=0.1)
x = torch.randn(5, 6)
target = torch.randn(5, 3)


def step(h_edit: bool) -> torch.Tensor:
    h = torch.tanh(fc1(x))
    gated = scale * h  # saves h (history), then scale (a leaf)
    out = head(gated)
    input_term = (x * scale[:6]).sum()  # saves x: no history, no grad
    if h_edit:
        h.mul_(0.5)
        gated.add_(0.1)
    return F.mse_loss(out, target) + 1e-3 * input_term


for _ in range(2):
    opt.zero_grad()
    with torch.autograd.graph.allow_mutation_on_saved_tensors():
        loss = step(h_edit=True)
        loss.backward()
    opt.step()
print(loss.item(), scale.grad.norm().item())

opt.zero_grad()
try:
    step(h_edit=True).backward()
except RuntimeError as e:
    print("without the context:", str(e).split(":")[0])
