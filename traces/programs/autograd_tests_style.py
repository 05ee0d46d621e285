"""Small autograd checks in the style of PyTorch's own test suite (float64 and float32).

Gradients through unary and binary ops with broadcasting, views (transpose,
narrow, select, expand, unsqueeze), in-place ops on non-leaf tensors
(mul_, add_, clamp_, mul_ by a tensor that requires grad), grads of non-scalar outputs via grad_tensors,
accumulation over two backward calls with retain_graph, and requires_grad_
on a new leaf.
"""

import torch

torch.manual_seed(9)


def test_unary_binary_float64():
    x = torch.randn(3, 4, dtype=torch.double, requires_grad=True)
    y = torch.randn(4, dtype=torch.double, requires_grad=True)
    z = (x.exp() * y + x.sin() - y.tanh() / (x.pow(2) + 1)).sigmoid()
    w = torch.log1p(z) + torch.sqrt(x.abs() + 1) * y.neg()
    w.sum().backward()
    assert x.grad.shape == x.shape and y.grad.shape == y.shape
    return x.grad, y.grad


def test_views_and_inplace():
    a = torch.randn(4, 5, requires_grad=True)
    b = a * 2
    b.mul_(3)
    b.add_(1.0)
    v = b.t().narrow(0, 1, 3)
    s = v.select(1, 2).unsqueeze(1).expand(3, 4)
    out = (s * v[:, :4]).clamp_(-2.0, 2.0)
    w = torch.randn(3, 4, requires_grad=True)
    out.mul_(w)  # the original out is saved for w's gradient
    out.backward(torch.ones_like(out))
    return a.grad, w.grad


def test_grad_tensors():
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    y = x * x + 3 * x
    gy = torch.randn(2, 3, dtype=torch.float64)
    y.backward(gy, retain_graph=True)
    expected = gy * (2 * x.detach() + 3)
    assert torch.allclose(x.grad, expected)
    y.backward(gy)
    assert torch.allclose(x.grad, 2 * expected)
    return x.grad


def test_chain_float64():
    x = torch.linspace(-1.0, 1.0, 5, dtype=torch.double, requires_grad=True)
    y = (x ** 3).sum() + torch.exp(x).prod() + torch.reciprocal(x.exp() + 1).mean()
    y = y + torch.atan2(x, x.exp()).mean() + (x.sinh() * x.cosh()).sum() + (x * 0.9).asin().sum() + (x * 0.9).acos().mean() + x.atan().sum() + x.tan().sum()
    y.backward()
    assert x.grad is not None
    return x.grad


def test_broadcast_reduce():
    a = torch.randn(2, 1, 3, requires_grad=True)
    b = torch.randn(4, 1, requires_grad=True)
    c = (a - b).max(dim=-1).values.mean() + torch.maximum(a, b.unsqueeze(0)).min()
    c.backward()
    return a.grad, b.grad


def test_leaf_requires_grad_():
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3).requires_grad_()
    (t.div(2).where(t > 2, t * t)).sum().backward()
    return t.grad


for fn in [
    test_unary_binary_float64,
    test_views_and_inplace,
    test_grad_tensors,
    test_chain_float64,
    test_broadcast_reduce,
    test_leaf_requires_grad_,
]:
    res = fn()
    print(fn.__name__, "ok")
