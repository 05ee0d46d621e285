"""A tensor the program holds dies inside backward(): a hook drops it.

`kept` is a top-level op's output held only by a global; the hook on `y`
rebinds the global while the engine runs, so `kept` dies between the api
`backward` event and `graph_task_end`. Its release waits for the next
top-level op (`x + 1`). The backward's own intermediates are never released.
"""

import torch

torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
kept = x * 3


def drop(grad):
    global kept
    kept = None
    return grad


y = x * 2
y.register_hook(drop)
y.sum().backward()
z = x + 1
