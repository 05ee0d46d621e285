"""A small tied-weight encoder trained with a gradient penalty, as a
WGAN-GP critic or a Jacobian-regularised autoencoder does it:

* the input projection `x @ W` feeds a reentrant checkpoint whose block uses
  `W` again (weight tying: the nested backward accumulates into the same
  leaf the outer one does);
* a custom straight-through clamp whose output has a tensor hook that
  rescales its gradient and retains it (`retain_grad`), differentiated with
  `create_graph=True` for the penalty;
* a monitoring hook that switches anomaly mode on for the rest of a
  backward once the gradient grows, and a module backward hook that
  switches it off again;
* a reentrant checkpoint under `torch.autograd.grad`, which PyTorch refuses
  (the program catches the error and falls back to `.backward()`)."""

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)


class StraightThroughClamp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, bound):
        ctx.save_for_backward(x)
        ctx.bound = bound
        return x.clamp(-bound, bound)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        # Straight through inside the bound, damped outside.
        scale = torch.where(x.abs() <= ctx.bound, torch.ones_like(x), torch.full_like(x, 0.1))
        return g * scale, None


W = nn.Parameter(torch.randn(6, 6) * 0.4)
head = nn.Linear(6, 1)
opt = torch.optim.Adam([W, *head.parameters()], lr=0.01)


def block(h):
    # The checkpointed block uses the tied weight again.
    return torch.tanh(h @ W.t()) + h


def monitor(g):
    if g.abs().max().item() > 0.05:
        torch.autograd.set_detect_anomaly(True)
    return g * 0.5


def head_hook(module, grad_input, grad_output):
    torch.autograd.set_detect_anomaly(False)


head.register_full_backward_hook(head_hook)

x = torch.randn(5, 6)
target = torch.randn(5, 1)
retained = []
for step in range(3):
    opt.zero_grad()
    inp = (x @ W).requires_grad_() if step == 0 else x @ W
    h = checkpoint(block, inp, use_reentrant=True)
    z = StraightThroughClamp.apply(h, 0.8)
    z.register_hook(monitor)
    z.retain_grad()
    fit = nn.functional.mse_loss(head(z), target)
    # Gradient penalty on the clamp's output.
    (gz,) = torch.autograd.grad(fit, z, create_graph=True)
    penalty = (gz.norm(dim=1) - 0.1).pow(2).mean()
    loss = fit + 0.5 * penalty
    loss.backward()
    torch.autograd.set_detect_anomaly(False)
    opt.step()
    retained.append(z.grad.abs().sum().item())
    print(step, loss.item())

# torch.autograd.grad through a reentrant checkpoint is refused.
h = checkpoint(block, x @ W, use_reentrant=True)
try:
    torch.autograd.grad(h.sum(), W)
except RuntimeError as e:
    print("refused:", str(e).split(".")[0])
h = checkpoint(block, x @ W, use_reentrant=True)
h.sum().backward()
print(W.grad.abs().sum().item(), retained)
