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
print(head.weight.detach().abs().sum().item())
