"""torch.autograd.grad through a small MLP: the engine runs only what leads
to the inputs asked for, and returns their gradients instead of storing them.

* the loss's gradient w.r.t. the first layer's weight and the input batch:
  the second layer's weight is not asked for, so its AccumulateGrad is never
  pushed and AddmmBackward0 computes only the gradient of its input; the
  asked-for AccumulateGrad is popped but not run (`.grad` stays None);
* a non-scalar output with `grad_outputs` (a vector-Jacobian product), asked
  for the hidden activation and the input: the hidden activation's node
  captures its gradient and still runs, since the input lies below it;
* an input the loss does not use, with `allow_unused` (None back) and with
  `materialize_grads` (zeros made after the engine);
* `retain_graph=True` so that one graph answers several calls, then a
  parameter update from the returned gradients;
* a second forward: its nodes' sequence numbers come after the `Identity`
  node each call with the unused input made (it has no AccumulateGrad);
* the unused input without `allow_unused`: the GraphTask completes, then
  `torch.autograd.grad` raises, and the program catches it.
"""

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
x = torch.randn(5, 3, requires_grad=True)
target = torch.randn(5, 2)
unused = torch.randn(2, requires_grad=True)

hidden = model[1](model[0](x))
out = model[2](hidden)
loss = nn.functional.mse_loss(out, target)

w1, b1 = model[0].weight, model[0].bias
g_w1, g_x = torch.autograd.grad(loss, [w1, x], retain_graph=True)
v = torch.linspace(-1.0, 1.0, 10).reshape(5, 2)
g_hidden, g_x2 = torch.autograd.grad(out, (hidden, x), grad_outputs=v, retain_graph=True)
g_b1, g_unused = torch.autograd.grad(loss, [b1, unused], retain_graph=True, allow_unused=True)
g_w2, g_zero = torch.autograd.grad(loss, [model[2].weight, unused], materialize_grads=True)
assert g_unused is None and w1.grad is None

with torch.no_grad():
    w1 -= 0.1 * g_w1
    b1 -= 0.1 * g_b1
    model[2].weight -= 0.1 * g_w2
loss2 = model(x).pow(2).sum()
(g_x3,) = torch.autograd.grad(loss2, x, retain_graph=True)
try:
    torch.autograd.grad(loss2, [x, unused])
except RuntimeError as error:
    print(error)
print(g_x3.sum().item(), g_x.norm().item(), g_hidden.sum().item(), g_x2.sum().item(), g_zero.sum().item())
