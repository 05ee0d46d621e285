"""torch.autograd.functional: jacobian, hessian, vjp, jvp and hvp, which call
torch.autograd.grad (with create_graph, allow_unused, retain_graph) on small
functions: a loop of vector-Jacobian products per output element, the double
backward trick for jvp, a Hessian-vector product."""

import torch
from torch.autograd.functional import hessian, hvp, jacobian, jvp, vjp

torch.manual_seed(0)


def f(x: torch.Tensor) -> torch.Tensor:
    return torch.tanh(x) * 2


def energy(x: torch.Tensor) -> torch.Tensor:
    return (x.sin() ** 2).sum()


x = torch.randn(3)
v = torch.linspace(-1.0, 1.0, 3)
J = jacobian(f, x)
H = hessian(energy, x)
_, g = vjp(f, x, torch.ones(3))
_, t = jvp(f, x, v)
_, hv = hvp(energy, x, v)
print(J.sum().item(), H.sum().item(), g.sum().item(), t.sum().item(), hv.sum().item())
