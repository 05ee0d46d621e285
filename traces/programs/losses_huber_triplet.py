"""SmoothL1Loss(beta), HuberLoss (mean, sum, none; huber_loss / HuberLossBackward0) and
triplet margin losses (pairwise_distance: norm.ScalarOpt_dim / NormBackward1, p=2 and p=1
with swap) on two heads, two SGD-momentum steps."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)
net = nn.Linear(6, 4)
emb = nn.Linear(6, 5)
opt = torch.optim.SGD(list(net.parameters()) + list(emb.parameters()), lr=0.1, momentum=0.9)
x = torch.randn(8, 6)
y = torch.randn(8, 4)
smooth = nn.SmoothL1Loss(beta=0.5)
huber = nn.HuberLoss(delta=0.7)
triplet = nn.TripletMarginLoss(margin=1.0, p=2)
for step in range(2):
    opt.zero_grad()
    out = net(x)
    e = emb(x)
    loss = smooth(out, y) + huber(out, y) + F.huber_loss(out, y, reduction="sum", delta=0.3)
    loss = loss + F.huber_loss(out, y.requires_grad_(False), reduction="none").mean()
    loss = loss + triplet(e[:4], e[4:], e.flip(0)[:4])
    loss = loss + F.triplet_margin_loss(e[:4], e[4:], e[2:6], margin=0.5, p=1, swap=True)
    loss.backward()
    opt.step()
