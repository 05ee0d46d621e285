"""Complex parameters trained by the foreach optimizers with gradient
clipping: `clip_grad_norm_` of complex gradients (its default foreach path:
`_foreach_norm` of the moduli, then `_foreach_mul_` of every complex
gradient by the real 0-dim clip coefficient), SGD with momentum, weight
decay and nesterov (`foreach=True`: `_foreach_add` of complex lists with
`alpha`, `_foreach_mul_` by a Python number, `_foreach_add_`), Adam with
weight decay and amsgrad and Adagrad (both foreach, stepping real views of
the complex states; Adagrad's sum starts as `full_like` of each complex
parameter). A real gate parameter trains beside the complex ones (the
optimizers and `clip_grad_norm_` group their foreach lists by dtype)."""

import torch
import torch.nn as nn

torch.manual_seed(0)

x = torch.randn(8, 5, dtype=torch.cfloat)
target = torch.randn(8, 3, dtype=torch.cfloat)


def make_model():
    first = nn.Linear(5, 6, dtype=torch.cfloat)
    second = nn.Linear(6, 3, dtype=torch.cfloat)
    gate = nn.Parameter(torch.full((6,), 0.1))
    return first, second, gate


def loss_of(first, second, gate):
    h = first(x)
    h = h * torch.sigmoid(h.abs() + gate)
    return (second(h) - target).abs().pow(2).mean()


optimizers = (
    lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-3, foreach=True),
    lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.5, nesterov=True, foreach=True),
    lambda p: torch.optim.Adam(p, lr=1e-2, weight_decay=1e-2, amsgrad=True, foreach=True),
    lambda p: torch.optim.Adagrad(p, lr=1e-2, foreach=True),
)
for make in optimizers:
    first, second, gate = make_model()
    params = [*first.parameters(), *second.parameters(), gate]
    opt = make(params)
    for _ in range(3):
        loss = loss_of(first, second, gate)
        opt.zero_grad()
        loss.backward()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm=0.5)
        opt.step()
    print(loss.item(), total.item())
