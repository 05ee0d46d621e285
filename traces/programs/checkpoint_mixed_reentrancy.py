"""Activation checkpointing with both implementations in one model, as a
user mixing `use_reentrant=False` and `use_reentrant=True` blocks writes
it: a non-reentrant checkpoint (saved-tensor hooks, recomputation when
backward first unpacks) whose output feeds a reentrant checkpoint (a
custom Function whose backward recomputes and runs a nested backward),
then `checkpoint_sequential` over a second stack. In backward the
reentrant block's Function returns its input's gradient, which the engine
hands to the non-reentrant block's last node; that node's unpack hook
recomputes the block first, so the gradient is still alive there and dies
only after the node ran. Two SGD steps with momentum."""

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(0)
blk1 = nn.Sequential(nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 6))
blk2 = nn.Sequential(nn.Linear(6, 6), nn.GELU(), nn.Linear(6, 6))
stack = nn.Sequential(nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 6), nn.Tanh())
params = [*blk1.parameters(), *blk2.parameters(), *stack.parameters()]
opt = torch.optim.SGD(params, lr=0.05, momentum=0.9)
x = torch.randn(3, 6, requires_grad=True)
for _ in range(2):
    h = checkpoint(blk1, x, use_reentrant=False)
    h = checkpoint(blk2, h, use_reentrant=True)
    out = checkpoint_sequential(stack, 2, h, use_reentrant=False)
    loss = out.pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
print(x.grad.abs().sum().item())
