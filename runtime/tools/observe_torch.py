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


def short(value):
    """A small tensor as its values (to see which operand an op read), else its shape."""
    if isinstance(value, torch.Tensor):
        return value.tolist() if value.numel() <= 4 and value.device.type == "cpu" else list(value.shape)
    if isinstance(value, (list, tuple)):
        return [short(v) for v in value]
    return value


class Ops(TorchDispatchMode):
    """Records op names (with small arguments when `detail`); skips calls the
    Python interpreter made (ADInplaceOrView not excluded)."""

    def __init__(self, detail=False):
        super().__init__()
        self.names = []
        self.detail = detail

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        excluded = torch._C._dispatch_tls_local_exclude_set()
        if excluded.has(torch._C.DispatchKey.ADInplaceOrView):
            self.names.append(f"{func}{short(list(args))}" if self.detail else str(func))
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


def scenario(title, build, detail=False):
    mode = Ops(detail)
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


def mul_two_leaves():
    """Which operand's gradient MulBackward0 computes first (other's)."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([10.0, 20.0], requires_grad=True)
    return (x * w).sum()


def addmm_beta():
    """AddmmBackward0's order with beta != 1 (mat1, mat2, then self)."""
    b = torch.tensor([1.0, 2.0], requires_grad=True)
    m1 = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    m2 = torch.tensor([[5.0, 6.0], [7.0, 8.0]], requires_grad=True)
    return torch.addmm(b, m1, m2, beta=2).sum()


def stacked_leaves():
    """traces/programs/tied_leaves.py: leaf i fills i + 1 rows of a stack."""
    ps = [torch.randn(3, requires_grad=True) for _ in range(7)]
    return torch.stack([p for i, p in enumerate(ps) for _ in range(i + 1)]).sum()


def select_last_column():
    x = torch.randn(2, 3, requires_grad=True)
    return (x.select(1, -1) * 2).sum()


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
        ("stacked leaves (deps 1..7)", stacked_leaves),
        ("select", select_last_column),
    ]:
        scenario(title, build)
    scenario("mul, both operands leaves", mul_two_leaves, detail=True)
    scenario("addmm, beta=2", addmm_beta, detail=True)
    seven_roots()
    flags()
