"""Custom autograd.Functions in the setup_context style and a curvature
penalty, in a small regression model trained by SGD. A Function whose
forward takes no ctx (`setup_context` saves the inputs and marks an index
output non-differentiable); one with `ctx.set_materialize_grads(False)`
whose backward receives None for the output the loss does not use; one
returning three outputs of which the loss uses one (PyTorch materializes
zero gradients for the others before the backward runs). The penalty is the
trace of the loss's Hessian in the head's input, from
torch.autograd.functional.hessian(create_graph=True); a second objective's
two roots are differentiated together with torch.autograd.grad and
weighted grad_outputs (only_inputs, allow_unused with materialize_grads for
a parameter it does not reach). Evaluation runs in a function decorated
with torch.set_grad_enabled(False), on features made under
torch.inference_mode and used later under no_grad."""

import torch
import torch.nn as nn
from torch.autograd.functional import hessian


class ScaledTanh(torch.autograd.Function):
    @staticmethod
    def forward(x, scale):
        return torch.tanh(x) * scale, x.argmax(dim=1)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, scale = inputs
        y, idx = output
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(x, scale)

    @staticmethod
    def backward(ctx, g, g_idx):
        x, scale = ctx.saved_tensors
        t = torch.tanh(x)
        return g * scale * (1 - t * t), (g * t).sum(0)


class SplitGate(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(x)
        return torch.sigmoid(x), torch.relu(x)

    @staticmethod
    def backward(ctx, g_gate, g_relu):
        (x,) = ctx.saved_tensors
        grad = None
        if g_gate is not None:
            s = torch.sigmoid(x)
            grad = g_gate * s * (1 - s)
        if g_relu is not None:
            r = g_relu * (x > 0)
            grad = r if grad is None else grad + r
        return grad


class Moments(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.mean(dim=1), x.var(dim=1), x.amax(dim=1)

    @staticmethod
    def backward(ctx, g_mean, g_var, g_max):
        (x,) = ctx.saved_tensors
        n = x.shape[1]
        centered = x - x.mean(dim=1, keepdim=True)
        grad = g_mean[:, None] / n + g_var[:, None] * 2 * centered / (n - 1)
        return grad + g_max[:, None] * (x == x.amax(dim=1, keepdim=True))


torch.manual_seed(0)
body = nn.Linear(4, 6)
head = nn.Linear(6, 1)
scale = torch.ones(6, requires_grad=True)
unused = torch.zeros(3, requires_grad=True)
params = list(body.parameters()) + list(head.parameters()) + [scale]
opt = torch.optim.SGD(params, lr=0.05)
x = torch.randn(8, 4)
target = torch.randn(8, 1)


def energy(h):
    return head(h).pow(2).mean()


for step in range(3):
    opt.zero_grad()
    h, winner = ScaledTanh.apply(body(x), scale)
    gate, _ = SplitGate.apply(h)
    mean, _, _ = Moments.apply(h * gate)
    pred = head(h * gate) + mean[:, None]
    loss = (pred - target).pow(2).mean() + 0.01 * winner.float().mean()
    curvature = hessian(energy, h[:1], create_graph=True).reshape(6, 6)
    (loss + 0.1 * curvature.diagonal().sum()).backward()
    opt.step()

# Two roots, weighted, differentiated together.
h, _ = ScaledTanh.apply(body(x), scale)
fit = (head(h) - target).pow(2).mean()
smooth = h.diff(dim=1).abs().mean()
g_body, g_scale, g_unused = torch.autograd.grad(
    [fit, smooth],
    [body.weight, scale, unused],
    grad_outputs=[torch.tensor(1.0), torch.tensor(0.5)],
    only_inputs=True,
    allow_unused=True,
    materialize_grads=True,
)

with torch.inference_mode():
    frozen = torch.randn(5, 4) * 2


@torch.set_grad_enabled(False)
def evaluate(inputs):
    h, _ = ScaledTanh.apply(body(inputs), scale)
    return head(h).squeeze(1)


with torch.no_grad():
    shifted = frozen + 1
scores = evaluate(shifted)
print("loss", loss.item(), "grads", g_body.norm().item(), g_scale.tolist(), g_unused.tolist())
print("scores", scores.tolist(), scores.requires_grad)
