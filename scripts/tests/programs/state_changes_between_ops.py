"""Autograd state changed between operators by every Python entry point
(the capture reads only the tensors these mark, state_marks.py): the
`requires_grad` setter and `requires_grad_()` on leaves and a module's
parameters, `detach_()` as a method and as `torch.detach_`, `.grad`
assigned and cleared, `zero_grad` both ways, a gradient replaced inside a
post-accumulate hook (an optimizer step in backward), `retain_grad` on an
activation, a tensor rebuilt by `torch.load` with its flag, and tensors
changed while unrelated operators run in between."""
import io

import torch
from torch import nn

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
x = torch.randn(5, 4)
scale = torch.ones(2)
scale.requires_grad = True
opt = torch.optim.SGD(net.parameters(), lr=0.1)

# 1. Freeze the first layer with the module API, train a step.
net[0].requires_grad_(False)
out = net(x) * scale
out.sum().backward()
opt.step()
opt.zero_grad(set_to_none=False)

# 2. Unfreeze by the setter, one parameter at a time, with other ops between.
net[0].weight.requires_grad = True
unrelated = torch.randn(3).exp()
net[0].bias.requires_grad = True
h = net[0](x)
h.retain_grad()
loss = net[2](torch.tanh(h)).pow(2).mean()
loss.backward()
opt.step()
opt.zero_grad()  # set_to_none=True

# 3. Gradients assigned and cleared by hand, then accumulated into.
w = net[2].weight
w.grad = torch.full_like(w, 0.5)
b = net[2].bias
b.grad = torch.zeros_like(b)
b.grad = None
net(x).sum().backward()
scale.grad = None

# 4. Detach in place: a method and the function, on activations made
# some operators earlier.
a = net[0](x)
c = torch.relu(net[0](x))
e = c * 2
a.detach_()
f = e + 1
torch.detach_(c)
d = (a + c + f).sum()

# 5. A leaf that stops requiring grad, then requires it again.
scale.requires_grad_(False)
y = scale * 2
scale.requires_grad_(True)
(scale * y).sum().backward()


# 6. An optimizer step inside backward, replacing the gradient.
def step_in_backward(p):
    with torch.no_grad():
        p.add_(p.grad, alpha=-0.1)
    p.grad = None


handles = [p.register_post_accumulate_grad_hook(step_in_backward) for p in net[2].parameters()]
net(x).sum().backward()
for handle in handles:
    handle.remove()

# 7. A retained gradient the engine sets, seen by a hook's operator later in
# the same backward.
inp = torch.randn(5, 4, requires_grad=True)
inp.register_hook(lambda g: g.clamp(-1, 1))
hidden = net[0](inp)
hidden.retain_grad()
net[2](torch.tanh(hidden)).sum().backward()

# 8. A tensor rebuilt by torch.load keeps its flag (the setter at rebuild).
buffer = io.BytesIO()
torch.save(torch.arange(3.0).requires_grad_(), buffer)
buffer.seek(0)
loaded = torch.load(buffer)
(loaded * 3).sum().backward()
loaded.requires_grad = False
z = loaded + 1
