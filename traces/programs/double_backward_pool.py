"""Double backward through pooling, hardswish, a smooth L1 loss, embeddings
and slices.

A CNN (Conv2d, Hardswish, MaxPool2d, AvgPool2d, Linear) trained two steps on
a smooth L1 loss plus the squared norm of its input gradient, taken with
`backward(create_graph=True)`: MaxPool2DWithIndicesBackwardBackward0
(`zeros` for the input; with a gradient that requires grad, the incoming
gradient gathered at the saved indices), AvgPool2DBackwardBackward0
(`avg_pool2d` of the incoming gradient), HardswishBackwardBackward0,
SmoothL1LossBackwardBackward0; then cross-entropy scaled by a tensor that
requires grad, whose NllLossBackwardBackward0 reaches `grad_output`
(`nll_loss_forward` of the incoming gradient).
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

net = nn.Sequential(
    nn.Conv2d(1, 2, 3, padding=1),
    nn.Hardswish(),
    nn.MaxPool2d(2),
    nn.AvgPool2d(2),
    nn.Flatten(),
    nn.Linear(2, 1),
)
opt = torch.optim.SGD(net.parameters(), lr=0.05)
for step in range(2):
    x = (torch.randn(2, 1, 4, 4) * 0.5).requires_grad_(True)
    target = torch.randn(2, 1)
    loss = F.smooth_l1_loss(net(x), target)
    loss.backward(create_graph=True)
    penalty = x.grad.pow(2).sum()
    x.grad = None
    opt.zero_grad()
    (loss + penalty).backward()
    opt.step()

# A pooled map whose gradient requires grad reaches grad_output's edges.
maps = torch.randn(1, 1, 4, 4, requires_grad=True)
pooled = F.avg_pool2d(F.max_pool2d(maps, 2), 1)
weights = torch.randn(pooled.shape, requires_grad=True)
pooled.backward(weights, create_graph=True)
(maps.grad.pow(2).sum()).backward()

logits = torch.randn(3, 4, requires_grad=True)
scale = torch.rand(1, requires_grad=True)
(F.cross_entropy(logits, torch.tensor([0, 3, 1])) * scale).sum().backward(create_graph=True)
gl = logits.grad
logits.grad = None
scale.grad = None
gl.pow(2).sum().backward()

# Adaptive average pooling, embeddings (with a padding row), slices and
# selects: their backward kernels' nodes (AdaptiveAvgPool2DBackwardBackward0,
# EmbeddingDenseBackwardBackward0, SliceBackwardBackward0,
# SelectBackwardBackward0) in a second backward.
feat = torch.randn(1, 2, 4, 4, requires_grad=True)
F.adaptive_avg_pool2d(feat, 2).tanh().sum().backward(create_graph=True)
feat.grad.pow(2).sum().backward()
emb = nn.Embedding(5, 3, padding_idx=1)
tokens = torch.tensor([[0, 1], [3, 1]])
emb(tokens).tanh().sum().backward(create_graph=True)
emb.weight.grad.pow(2).sum().backward()
seq = torch.randn(4, 3, requires_grad=True)
(seq[1:3].tanh().sum() + seq[:, 2].sigmoid().sum()).backward(create_graph=True)
seq.grad.pow(2).sum().backward()
