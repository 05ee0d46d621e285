"""Activation checkpointing without reentrance: two MLP blocks wrapped in
`torch.utils.checkpoint.checkpoint(..., use_reentrant=False)`, trained for
three SGD steps. Forward saves no activations of the blocks; in backward,
the first node of each block that unpacks a saved tensor recomputes the
block (saved-tensor hooks), and the block's nodes use the recomputed,
detached tensors."""
import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.fc(x))


blocks = nn.ModuleList([Block(4), Block(4)])
head = nn.Linear(4, 2)
params = list(blocks.parameters()) + list(head.parameters())
opt = torch.optim.SGD(params, lr=0.1)
x = torch.randn(3, 4)
target = torch.randn(3, 2)

for _ in range(3):
    opt.zero_grad()
    h = x
    for block in blocks:
        h = checkpoint(block, h, use_reentrant=False)
    loss = nn.functional.mse_loss(head(h), target)
    loss.backward()
    opt.step()
