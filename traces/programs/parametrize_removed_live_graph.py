"""Custom parametrizations (`nn.utils.parametrize`) trained and then baked
in: a symmetric weight (`triu` + transposed strict upper triangle) chained
with a positive-diagonal one that has a `right_inverse` (registering it
`set_`s the original to the inverse's value), a forward under
`parametrize.cached()`, three SGD steps; then `remove_parametrizations(...,
leave_parametrized=True)` writes the parametrized value into the original
with `set_` while the last step's loss still holds the graph: PyTorch's
`set_` forgets the leaf's AccumulateGrad, so the next forward makes a new
node (the old graph's node stays). Another module keeps its original
(`leave_parametrized=False`), and a plain parameter is `set_` to a new
tensor and to itself before a further step."""

import torch
import torch.nn as nn
import torch.nn.utils.parametrize as parametrize

torch.manual_seed(0)


class Symmetric(nn.Module):
    def forward(self, w):
        return w.triu() + w.triu(1).transpose(-1, -2)


class PositiveDiagonal(nn.Module):
    def forward(self, w):
        return w.tril(-1) + torch.diag_embed(nn.functional.softplus(w.diagonal()))

    def right_inverse(self, a):
        return a.tril(-1) + torch.diag_embed(a.diagonal().abs())


m = nn.Linear(5, 5)
parametrize.register_parametrization(m, "weight", Symmetric())
parametrize.register_parametrization(m, "weight", PositiveDiagonal())
head = nn.Linear(5, 5)
parametrize.register_parametrization(head, "weight", PositiveDiagonal())
opt = torch.optim.SGD(list(m.parameters()) + list(head.parameters()), lr=0.05)
x = torch.randn(7, 5)

for _ in range(3):
    opt.zero_grad()
    with parametrize.cached():
        out = head(m(x) + m(x.flip(0)))
    loss = out.pow(2).mean()
    loss.backward()
    opt.step()

parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
parametrize.remove_parametrizations(head, "weight", leave_parametrized=False)
w = nn.Parameter(torch.randn(5, 2))
loss2 = (head(m(x)) @ w).sum()
with torch.no_grad():
    w.set_(torch.randn(5, 2))
    w.set_(w)
opt2 = torch.optim.SGD(list(m.parameters()) + list(head.parameters()) + [w], lr=0.05)
opt2.zero_grad()
(head(m(x)) @ w).tanh().sum().backward()
opt2.step()
print(loss.item(), loss2.item(), m.weight.sum().item())
