"""Activation checkpointing with `use_reentrant=True`: two checkpointed MLP
blocks trained with SGD. Each block is a CheckpointFunction whose backward
recomputes the block with grad mode on and runs a nested backward (a
GraphTask at reentrant depth 1) through the recomputed graph."""

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, 2 * width)
        self.fc2 = nn.Linear(2 * width, width)

    def forward(self, x):
        return x + self.fc2(torch.relu(self.fc1(x)))


blocks = nn.ModuleList([Block(4), Block(4)])
head = nn.Linear(4, 2)
params = list(blocks.parameters()) + list(head.parameters())
opt = torch.optim.SGD(params, lr=0.05)
x = torch.randn(3, 4)
target = torch.randn(3, 2)
for step in range(3):
    opt.zero_grad()
    h = x.requires_grad_() if step == 0 else x
    for block in blocks:
        h = checkpoint(block, h, use_reentrant=True)
    loss = nn.functional.mse_loss(head(h), target)
    loss.backward()
    opt.step()
print(loss.item())
