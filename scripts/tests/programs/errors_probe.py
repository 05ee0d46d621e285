"""Errors a program catches: an operator that raises (op_error), a leaf
modified in place (raised above the dispatch mode), a backward through a
modified saved tensor (graph_task_error after the pop of the node that
raised), a backward from a tensor without grad (graph_task_error without a
GraphTask), then ordinary work."""
import torch

torch.manual_seed(0)
a = torch.randn(2, 3, requires_grad=True)
try:
    a @ torch.randn(4, 5)
except RuntimeError:
    pass
try:
    a.mul_(2)
except RuntimeError:
    pass
e = a.exp()
e.add_(1)
try:
    e.sum().backward()
except RuntimeError:
    pass
try:
    torch.ones(3).sum().backward()
except RuntimeError:
    pass
(a * 3).sum().backward()
