"""Low-precision parameters updated the way torch.optim updates them.

A model kept entirely in bfloat16 (and a float16 copy of part of it) is
trained by SGD with momentum and by RMSprop with momentum, `foreach=False`:
each step ends in `param.add_(buf, alpha=-lr)`. PyTorch's CPU `add` with an
alpha rounds `alpha` to the dtype and then, for most elements, rounds
`param + alpha·buf` once (its vectorised loop); the elements its scalar loop
takes (what is left of a contiguous tensor after whole 64-element steps
and one more 32-element vector, every element when an operand is
transposed) round `alpha·buf` first and the sum again. The parameters have
sizes that leave every kind of remainder (a 100-element vector, a 63-long
bias, a 7×9 table, a 2×48 matrix), one update adds a transposed gradient
(`w.add_(g.t(), alpha=...)`), and `torch.add`/`torch.sub` with an alpha
appear out of place too. The forward is elementwise and reductions only
(`mul`, `sum`, `tanh`), so every value checked is an update's.
"""

import torch

torch.manual_seed(0)

dtype = torch.bfloat16
vector = torch.nn.Parameter(torch.randn(100).to(dtype))
bias = torch.nn.Parameter(torch.randn(63).to(dtype))
table = torch.nn.Parameter(torch.randn(7, 9).to(dtype))
matrix = torch.nn.Parameter(torch.randn(2, 48).to(dtype))
half_vector = torch.nn.Parameter(torch.randn(70).to(torch.float16))

x = torch.randn(100).to(dtype)
target = torch.randn(63).to(dtype)


def loss_of():
    a = (vector * x).tanh().sum()
    b = ((bias - target) ** 2).sum()
    c = (table * table.flip(0)).sum() + matrix.tanh().sum()
    d = (half_vector.float() ** 2).sum()
    return a + b + 0.1 * c + d.to(dtype)


sgd = torch.optim.SGD([vector, bias], lr=0.05, momentum=0.9, foreach=False)
rms = torch.optim.RMSprop([table, matrix], lr=0.01, momentum=0.5, foreach=False)
half_sgd = torch.optim.SGD([half_vector], lr=0.03, momentum=0.8, nesterov=True, foreach=False)

for step in range(3):
    for opt in (sgd, rms, half_sgd):
        opt.zero_grad()
    loss = loss_of()
    loss.backward()
    for opt in (sgd, rms, half_sgd):
        opt.step()
    print("step", step, "loss", loss.item())

with torch.no_grad():
    g = torch.randn(9, 7).to(dtype)
    table.add_(g.t(), alpha=-0.0123)
    moved = torch.add(bias, target, alpha=0.37)
    pulled = torch.sub(vector, x, alpha=0.011)
    print("after manual updates", table.float().sum().item(), moved.float().sum().item(), pulled.float().sum().item())
