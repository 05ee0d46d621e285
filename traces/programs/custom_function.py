"""Custom autograd.Functions in a small training loop: a straight-through
estimator (round in forward, identity gradient), a scaled identity that
saves its input and a non-tensor factor, a function with two outputs
and two tensor inputs (needs_input_grad, once_differentiable), an in-place
function (mark_dirty), one with an index output (mark_non_differentiable)
and one whose forward returns its input unchanged."""

import torch
from torch.autograd.function import once_differentiable


class RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x * 4) / 4

    @staticmethod
    def backward(ctx, g):
        return g


class Scale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.k + 0.1 * x, None


class MulAdd(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b, a + b

    @staticmethod
    @once_differentiable
    def backward(ctx, gp, gs):
        a, b = ctx.saved_tensors
        ga = gp * b + gs if ctx.needs_input_grad[0] else None
        gb = gp * a + gs if ctx.needs_input_grad[1] else None
        return ga, gb


class ShiftInplace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(0.5)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g


class ScaleWithArgmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        idx = x.argmax(dim=1)
        ctx.mark_non_differentiable(idx)
        return x * 2, idx

    @staticmethod
    def backward(ctx, g, g_idx):
        return g * 2


class Passthrough(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return g.clamp(-1, 1)


torch.manual_seed(0)
w1 = torch.randn(4, 3, requires_grad=True)
w2 = torch.randn(3, requires_grad=True)
x = torch.randn(5, 4)
target = torch.randn(5, 3)
opt = torch.optim.SGD([w1, w2], lr=0.1)
for step in range(3):
    opt.zero_grad()
    h = RoundSTE.apply(x @ w1)
    h = Scale.apply(h, 0.5)
    p, s = MulAdd.apply(h, w2.expand(5, 3))
    z = ShiftInplace.apply(p + s)
    z, idx = ScaleWithArgmax.apply(z)
    z = Passthrough.apply(z)
    loss = ((z - target) ** 2).mean() + z.gather(1, idx[:, None]).mean()
    loss.backward()
    opt.step()
# A Function applied to tensors that need no gradient makes no node.
with torch.no_grad():
    q = Scale.apply(w2, 2.0)
print(loss.item(), q.requires_grad)
