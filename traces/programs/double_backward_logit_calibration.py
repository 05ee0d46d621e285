"""Second derivatives through `torch.logit`, as a calibration head on
classifier probabilities penalises its input gradient: the probabilities
mapped to log-odds (`logit` with and without `eps`, some inputs outside the
`eps` band), a linear head trained two steps on a BCE loss plus the
squared gradient with respect to the probabilities (`create_graph=True`).

With grad mode on LogitBackward0 computes its gradient with differentiable
operators (the value outside the band — `zeros([])` with `eps`, a NaN
`empty([])` without — `1 − self` by `empty_like`, `fill_`, `sub_`, the
division, `le`, `ge`, `logical_and`, `where`), so the second backward runs
through WhereBackward0, DivBackward0, MulBackward0 and the `sub_`.

Then a learnt soft target: `binary_cross_entropy` against a target that
requires grad (label smoothing learnt by a small net), under each
reduction and with a weight, both gradients penalised: the target's
gradient is `logit(self).neg_() * grad` (`* weight`, `div_(numel)` for the
mean), its history through LogitBackward0, NegBackward0 and MulBackward0.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

head = nn.Linear(3, 1)
opt = torch.optim.Adam(head.parameters(), lr=1e-2)

for step in range(2):
    probs = torch.rand(6, 3).mul(0.9).add(0.05).requires_grad_()
    target = torch.randint(0, 2, (6, 1)).double()
    for eps in [1e-1, None]:
        out = head(torch.logit(probs, eps=eps))
        loss = F.binary_cross_entropy_with_logits(out, target)
        (gp,) = torch.autograd.grad(loss, probs, create_graph=True)
        total = loss + 0.01 * gp.pow(2).sum()
        opt.zero_grad()
        total.backward()
        opt.step()

smoother = nn.Sequential(nn.Linear(3, 3), nn.Sigmoid())
pred = torch.rand(4, 3).mul(0.9).add(0.05).requires_grad_()
hard = torch.randint(0, 2, (4, 3)).double()
weight = torch.rand(4, 3)
for reduction, w in [("mean", None), ("sum", weight), ("mean", weight), ("none", None)]:
    soft = smoother(hard)
    loss = F.binary_cross_entropy(pred, soft, weight=w, reduction=reduction).sum()
    gp, gs = torch.autograd.grad(loss, [pred, soft], create_graph=True)
    (loss + gp.pow(2).sum() + gs.pow(2).sum()).backward()
print(head.weight.detach().abs().sum().item(), smoother[0].weight.grad.abs().sum().item())
