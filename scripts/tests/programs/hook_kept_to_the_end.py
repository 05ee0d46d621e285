"""A leaf's hook keeps every gradient it receives until the program ends;
another leaf's hook only looks at its gradient."""

import torch

w = torch.ones(3, requires_grad=True)
v = torch.ones(3, requires_grad=True)
kept = []
w.register_hook(kept.append)
v.register_hook(lambda g: None)
for _ in range(2):
    (w * v * 2).sum().backward()
