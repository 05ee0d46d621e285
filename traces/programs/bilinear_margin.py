"""A bilinear relation classifier trained with multi-class hinge losses.

Two feature vectors are scored against each class by `nn.Bilinear`
(`_trilinear(x1, weight, x2, [1, 3], [0], [1, 2], [2, 3])` plus the bias;
its backward, TrilinearBackward0, is three more `_trilinear` calls), once
over a batch of pairs and once without a bias over a `[B, T, F]` sequence
(`F.bilinear` flattens the leading dims). The scores train under
`F.multi_margin_loss` with p=1 (mean), p=2 with class weights and a
custom margin (sum), and per-sample losses (reduction none) weighted by a
mask — MultiMarginLossBackward0 over `multi_margin_loss_backward`. SGD
with momentum, then an evaluation under `no_grad`.
"""

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


class Relation(nn.Module):
    def __init__(self, features: int, classes: int) -> None:
        super().__init__()
        self.left = nn.Linear(features, 6)
        self.pair = nn.Bilinear(6, features, classes)
        self.seq = nn.Bilinear(features, features, classes, bias=False)

    def forward(self, a: torch.Tensor, b: torch.Tensor, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scores = self.pair(torch.tanh(self.left(a)), b)
        seq_scores = self.seq(s, s.flip(1)).mean(1)
        return scores, seq_scores


model = Relation(5, 4)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
class_weight = torch.tensor([1.0, 2.0, 0.5, 1.5])
a, b = torch.randn(6, 5), torch.randn(6, 5)
s = torch.randn(6, 3, 5)
y = torch.tensor([0, 1, 2, 3, 1, 2])
mask = torch.tensor([1.0, 1.0, 0.0, 1.0, 0.5, 1.0])

for step in range(3):
    scores, seq_scores = model(a, b, s)
    loss = F.multi_margin_loss(scores, y)
    loss = loss + 0.1 * F.multi_margin_loss(seq_scores, y, p=2, margin=0.5, weight=class_weight, reduction="sum")
    per_sample = F.multi_margin_loss(scores + seq_scores, y, reduction="none")
    loss = loss + (per_sample * mask).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()

with torch.no_grad():
    scores, seq_scores = model(a, b, s)
    accuracy = (scores.argmax(-1) == y).float().mean()
    margin = F.multi_margin_loss(scores[0], y[0])
