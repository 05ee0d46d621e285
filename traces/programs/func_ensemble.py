"""Model ensembling with `torch.func`: three MLPs' parameters and buffers
stacked by `stack_module_state`, the architecture run through
`functional_call` (the stacked tensors swapped into one member) under
`vmap` over the models (the same
minibatch for every model, then one minibatch each), an ordinary
`backward()` into the stacked parameters through the batched operators and
SGD steps on them; then each model's gradient again with `vmap(grad(...))`
over the models, checked against the stacked parameters' `.grad`.
"""

import torch
from torch import nn
from torch.func import functional_call, grad, stack_module_state, vmap
from torch.nn import functional as F

torch.manual_seed(0)

members = [nn.Sequential(nn.Linear(5, 12), nn.GELU(), nn.Linear(12, 3)) for _ in range(3)]
params, buffers = stack_module_state(members)
# functional_call swaps the stacked tensors in: any member serves as the skeleton.
skeleton = members[0]


def run(p, b, x):
    return functional_call(skeleton, (p, b), (x,))


opt = torch.optim.SGD(params.values(), lr=0.1, momentum=0.9)
for step in range(3):
    x = torch.randn(6, 5)
    y = torch.randint(0, 3, (6,))
    logits = vmap(run, in_dims=(0, 0, None))(params, buffers, x)  # (models, batch, classes)
    loss = sum(F.cross_entropy(member_logits, y) for member_logits in logits.unbind(0))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("step", step, "ensemble loss", round(loss.item(), 5))

# One minibatch per model.
xs = torch.randn(3, 6, 5)
ys = torch.randint(0, 3, (3, 6))
per_model = vmap(run)(params, buffers, xs)
vote = per_model.softmax(-1).mean(0).argmax(-1)
print("votes", vote.tolist())


def member_loss(p, b, x, y):
    return F.cross_entropy(run(p, b, x), y)


opt.zero_grad()
loss = sum(F.cross_entropy(logits_i, y_i) for logits_i, y_i in zip(per_model.unbind(0), ys.unbind(0)))
loss.backward()
detached = {name: p.detach() for name, p in params.items()}
grads = vmap(grad(member_loss))(detached, buffers, xs, ys)
for name, p in params.items():
    print(name, "vmap(grad) vs backward", (grads[name] - p.grad).abs().max().item() < 1e-5)
