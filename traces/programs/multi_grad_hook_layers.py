"""Layer-wise gradient readiness with torch.autograd.graph.register_multi_grad_hook
in an optimizer-in-backward training loop. Mode "all" runs a per-layer
callback once every parameter gradient of that layer has arrived in a
backward (it records the layer's gradient norm, the bucketing pattern of
data-parallel wrappers); mode "any" counts backward passes that reached the
head. Mode "all" keeps the parameters' AccumulateGrad nodes alive (it looks
them up with `view_as` and keeps them in its hooks' closures), so every
step's graph reuses them, also when the step runs in a function whose
graph dies on return; after the hooks are removed the next graph makes new
ones. Each parameter has its own Adam stepped by a post-accumulate-grad
hook, and a forward pre-hook registered with_kwargs rescales the input."""

import torch
import torch.nn as nn
from torch.autograd.graph import register_multi_grad_hook

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 3))
x = torch.randn(6, 5)
y = torch.randint(0, 3, (6,))

optimizers = {p: torch.optim.Adam([p], lr=0.01) for p in model.parameters()}


def step_in_backward(p):
    optimizers[p].step()
    optimizers[p].zero_grad()


for p in model.parameters():
    p.register_post_accumulate_grad_hook(step_in_backward)


def rescale(module, args, kwargs):
    (inp,) = args
    return (inp * 0.5,), kwargs


model[0].register_forward_pre_hook(rescale, with_kwargs=True)

layer_norms: dict = {}


def layer_ready(name):
    def on_all(grads):
        layer_norms.setdefault(name, []).append(torch.stack([g.norm() for g in grads if g is not None]).norm())

    return on_all


head_passes = []


def head_reached(grad):
    head_passes.append(grad.abs().amax())


handles = [register_multi_grad_hook(list(model[i].parameters()), layer_ready(f"layer{i}")) for i in (0, 2, 4)]
handles.append(register_multi_grad_hook(list(model[4].parameters()), head_reached, mode="any"))


def train_step():
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    return loss.detach()


losses = [train_step() for _ in range(3)]
# The rebound loss keeps the previous graph alive until the next forward ran.
for _ in range(2):
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
for h in handles[:2]:
    h.remove()
del loss
losses += [train_step() for _ in range(2)]
# A backward that reaches only the head: layer 4's callback still runs.
with torch.no_grad():
    features = model[:4](x)
head_loss = model[4](features).logsumexp(dim=1).mean()
head_loss.backward()
print("losses", torch.stack(losses).tolist())
print("layer norms", {k: torch.stack(v).tolist() for k, v in sorted(layer_norms.items())})
print("head passes", torch.stack(head_passes).tolist())
