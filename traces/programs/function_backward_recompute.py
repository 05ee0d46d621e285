"""Custom autograd Functions whose backward recomputes its block, as
memory-saving layers do: the forward keeps only its inputs; the backward
enters `torch.enable_grad()` first thing, rebuilds the block from detached
inputs and differentiates it with `torch.autograd.grad` (an RMSNorm and a
SiLU-gated projection), trained three SGD steps. The engine runs a
backward with grad mode off (`create_graph=False`), so the program's
`enable_grad` is a state change even though the top level has grad
enabled. Then a gradient penalty through the recomputing Function, whose
backward accumulates into leaves made inside the Function's backward, and
a Function whose backward turns grad mode off for part of
its work, called from `torch.autograd.grad(create_graph=True)` under
`torch.no_grad()` (the engine's mode on, the top level's off)."""

import torch
import torch.nn as nn

torch.manual_seed(0)


class RecomputedRMSNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(x, weight)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * weight

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        with torch.enable_grad():
            xd = x.detach().requires_grad_(True)
            wd = weight.detach().requires_grad_(True)
            y = xd * torch.rsqrt(xd.pow(2).mean(-1, keepdim=True) + 1e-5) * wd
            gx, gw = torch.autograd.grad(y, (xd, wd), grad)
        return gx, gw


class RecomputedGatedSiLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w_gate, w_up):
        ctx.save_for_backward(x, w_gate, w_up)
        return nn.functional.silu(x @ w_gate) * (x @ w_up)

    @staticmethod
    def backward(ctx, grad):
        x, w_gate, w_up = ctx.saved_tensors
        with torch.enable_grad():
            leaves = [t.detach().requires_grad_(t.requires_grad) for t in (x, w_gate, w_up)]
            xd, gd, ud = leaves
            y = nn.functional.silu(xd @ gd) * (xd @ ud)
            wanted = [t for t in leaves if t.requires_grad]
            grads = iter(torch.autograd.grad(y, wanted, grad, create_graph=torch.is_grad_enabled()))
        return tuple(next(grads) if t.requires_grad else None for t in leaves)


class HalfFrozenScale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, s):
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, grad):
        x, s = ctx.saved_tensors
        with torch.no_grad():
            # Statistics of the gradient, kept out of any graph.
            scale = grad.abs().mean().clamp_min(1e-3)
        return grad * s / scale, (grad * x).sum().reshape(s.shape)


width = 6
norm_weight = nn.Parameter(torch.ones(width))
w_gate = nn.Parameter(torch.randn(width, 8) * 0.3)
w_up = nn.Parameter(torch.randn(width, 8) * 0.3)
head = nn.Linear(8, 2)
params = [norm_weight, w_gate, w_up, *head.parameters()]
opt = torch.optim.SGD(params, lr=0.05, momentum=0.9)
x = torch.randn(4, width)
y = torch.tensor([0, 1, 1, 0])
for _ in range(3):
    h = RecomputedRMSNorm.apply(x, norm_weight)
    logits = head(RecomputedGatedSiLU.apply(h, w_gate, w_up))
    loss = nn.functional.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()

# A gradient penalty through the recomputing Function (`create_graph=True`,
# where the engine's mode is on): the penalty's backward accumulates into
# the detached leaves the Function's backward made, not the parameters.
xp = x.clone().requires_grad_(True)
out = RecomputedGatedSiLU.apply(xp, w_gate, w_up).sum()
(gx,) = torch.autograd.grad(out, xp, create_graph=True)
penalty = gx.pow(2).sum()
penalty.backward()

# create_graph=True under no_grad: the engine's mode is on, the top level's off.
s = torch.tensor(2.0, requires_grad=True)
xs = torch.randn(3, requires_grad=True)
z = HalfFrozenScale.apply(xs, s).pow(2).sum()
with torch.no_grad():
    gxs, gs = torch.autograd.grad(z, (xs, s), create_graph=True)
print(loss.item(), penalty.item(), gxs, gs, gxs.requires_grad)
