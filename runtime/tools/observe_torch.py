"""Re-derive the PyTorch behaviour ft-runtime's tests pin down.

Run with the project's venv:  ~/.cache/ft-trace/venv/bin/python runtime/tools/observe_torch.py

For each scenario it prints the ATen ops a TorchDispatchMode sees (without
the mode-induced `aten.detach` of saved outputs, see docs/CAPTURE.md §9), the
order in which the autograd engine runs nodes (node pre-hooks), and a few
flags. The expected values in runtime/tests/it/*.rs were read off this output
for torch 2.15; after a torch upgrade, run it and compare.
"""

import torch
from torch.utils._python_dispatch import TorchDispatchMode


class Ops(TorchDispatchMode):
    """Records op names; skips calls the Python interpreter made (ADInplaceOrView not excluded)."""

    def __init__(self):
        super().__init__()
        self.names = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        excluded = torch._C._dispatch_tls_local_exclude_set()
        if excluded.has(torch._C.DispatchKey.ADInplaceOrView):
            self.names.append(str(func))
        return func(*args, **(kwargs or {}))


def hook_all(root):
    """Pre-hooks on every node reachable from `root`; returns the run order."""
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        node.register_prehook(lambda g, n=node: order.append(n.name().split("::")[-1]))
        stack.extend(n for n, _ in node.next_functions)
    return order


def scenario(title, build):
    mode = Ops()
    with mode:
        loss = build()
        order = hook_all(loss.grad_fn)
        start = len(mode.names)
        loss.backward()
    print(f"== {title}\n   backward ops: {mode.names[start:]}\n   node order:   {order}")


def diamond():
    x = torch.randn(3, requires_grad=True)
    return (x * 2 + x * 3).sum()


def leaf_twice():
    x = torch.randn(3, requires_grad=True)
    return (x * x).sum()


def chain_of_adds():
    x = torch.randn(3, requires_grad=True)
    y = x
    for _ in range(4):
        y = y + x
    return y.sum()


def shared_gradient():
    a, b = torch.randn(3, requires_grad=True), torch.randn(3, requires_grad=True)
    return ((a + b) * 2).sum()


def mm_both():
    a, b = torch.randn(2, 3, requires_grad=True), torch.randn(3, 4, requires_grad=True)
    return a.mm(b).sum()


def mlp():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    x, y = torch.randn(16, 4), torch.randn(16, 1)
    return torch.nn.functional.mse_loss(net(x), y)


def seven_roots():
    ps = [torch.randn(3, requires_grad=True) for _ in range(7)]
    views = [p.view_as(p) for p in ps]
    order = []
    for i, v in enumerate(views):
        v.grad_fn.next_functions[0][0].register_prehook(lambda g, i=i: order.append(i))
    torch.autograd.backward(ps, [torch.ones(3) for _ in ps])
    print(f"== seven leaf roots\n   AccumulateGrad order: {order}")


def flags():
    w = torch.randn(3, 2, requires_grad=True)
    with torch.no_grad():
        v = w.t()
    print(f"== no_grad view requires_grad={v.requires_grad} edges={(v * 2).grad_fn.next_functions}")
    w = torch.tensor([1.5, -1.0], requires_grad=True)
    y = (w * w).sum()
    y.backward(retain_graph=True)
    first = w.grad._version
    y.backward()
    print(f"== retained graph: grad versions {first} then {w.grad._version}")


if __name__ == "__main__":
    print("torch", torch.__version__)
    for title, build in [
        ("diamond", diamond),
        ("leaf used twice", leaf_twice),
        ("chain of adds", chain_of_adds),
        ("shared gradient", shared_gradient),
        ("mm, both inputs require grad", mm_both),
        ("tiny MLP", mlp),
    ]:
        scenario(title, build)
    seven_roots()
    flags()
