"""A multi-label tagger trained on margin losses: `nn.MultiLabelMarginLoss`
over target lists padded with -1 (`multilabel_margin_loss_forward` and its
`is_target` flags, MultilabelMarginLossBackward0), `nn.SoftMarginLoss` on a
±1 "any tag" head (SoftMarginLossBackward0), `nn.MultiLabelSoftMarginLoss`
with class weights, and a Gaussian NLL on a count head, three Adam steps;
then the reductions `none` and `sum`, a single 1-d sample, float64, and the
losses' errors caught (a target class out of range, an integer input)."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)
n, d, c = 8, 10, 5
x = torch.randn(n, d)
# each sample's tags, listed first and padded with -1
tags = [[0, 3], [1], [2, 4, 0], [3], [4, 1], [0], [2, 3, 1], [1, 4]]
target = torch.full((n, c), -1, dtype=torch.long)
for i, t in enumerate(tags):
    target[i, : len(t)] = torch.tensor(t)
multi_hot = torch.zeros(n, c)
for i, t in enumerate(tags):
    multi_hot[i, t] = 1.0
any_tag = torch.where(multi_hot[:, 0] + multi_hot[:, 3] > 0, 1.0, -1.0)
counts = multi_hot.sum(1)

body = nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Dropout(0.1))
tag_head, any_head, count_head = nn.Linear(16, c), nn.Linear(16, 1), nn.Linear(16, 2)
params = [p for m in (body, tag_head, any_head, count_head) for p in m.parameters()]
opt = torch.optim.Adam(params, lr=1e-2)
margin = nn.MultiLabelMarginLoss()
soft = nn.SoftMarginLoss()
mlsm = nn.MultiLabelSoftMarginLoss(weight=torch.tensor([1.0, 2.0, 1.0, 0.5, 1.0]))
gnll = nn.GaussianNLLLoss()
for step in range(3):
    h = body(x)
    logits = tag_head(h)
    mu, log_var = count_head(h).unbind(1)
    loss = (
        margin(logits, target)
        + soft(any_head(h).squeeze(1), any_tag)
        + mlsm(logits, multi_hot)
        + 0.1 * gnll(mu, counts, log_var.exp())
    )
    opt.zero_grad()
    loss.backward()
    opt.step()
    top = logits.topk(2, dim=1).indices
    hits = multi_hot.gather(1, top).sum().item()
    print(step, round(loss.item(), 5), hits)

# reductions, a single sample, float64
z = torch.randn(4, c, requires_grad=True)
per_sample = F.multilabel_margin_loss(z, target[:4], reduction="none")
summed = F.multilabel_margin_loss(z, target[:4], reduction="sum")
one = F.multilabel_margin_loss(z[0], target[0])
sm = F.soft_margin_loss(z, multi_hot[:4] * 2 - 1, reduction="none")
(per_sample.sum() + summed + one + sm.mean() + F.soft_margin_loss(z, multi_hot[:4] * 2 - 1, reduction="sum")).backward()
print(per_sample.tolist(), z.grad.sum().item())
z64 = torch.randn(3, c, dtype=torch.float64, requires_grad=True)
(F.multilabel_margin_loss(z64, target[:3]) + F.soft_margin_loss(z64, torch.ones(3, c, dtype=torch.float64))).backward()
print(z64.grad.tolist())

for bad in (
    lambda: F.multilabel_margin_loss(z, torch.full((4, c), c, dtype=torch.long)),
    lambda: F.multilabel_margin_loss(torch.ones(2, c, dtype=torch.long), target[:2]),
):
    try:
        bad()
    except (RuntimeError, NotImplementedError) as e:
        print(type(e).__name__, str(e)[:60])
