"""A WGAN-GP critic with circular-padded convolutions and GroupNorm trained
for a few steps, the gradient penalty `(‖∇ₓ D(x̂)‖ − 1)²` taken with
`create_graph=True` on interpolates between real and generated images, then
a physics-informed residual through a circular `F.pad` (a periodic
boundary) penalised the same way, in double precision.

Under `torch.autograd.grad` the circular pad's CopySlices run their
CopyBackwards with the view's former node marked needed, so each slice copy
dispatches `zeros_like` and writes it over its slice of the gradient; the
GroupNorm's NativeGroupNormBackward0 computes its gradients with
differentiable operators under grad mode, and the penalty's backward flows
into its `mean` and `rstd` too (the variance and mean term added to the
input's gradient after `native_group_norm_backward`).
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

critic = nn.Sequential(
    nn.Conv2d(2, 4, 3, padding=1, padding_mode="circular"),
    nn.GroupNorm(2, 4),
    nn.LeakyReLU(0.2),
    nn.Conv2d(4, 4, 3, stride=2, padding=1, padding_mode="circular"),
    nn.GroupNorm(4, 4, affine=False),
    nn.SiLU(),
    nn.Flatten(),
    nn.Linear(4 * 2 * 2, 1),
)
generator = nn.Sequential(nn.Linear(3, 2 * 4 * 4), nn.Tanh(), nn.Unflatten(1, (2, 4, 4)))
opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.9))

for step in range(2):
    real = torch.randn(2, 2, 4, 4)
    fake = generator(torch.randn(2, 3)).detach()
    eps = torch.rand(2, 1, 1, 1)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_()
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    penalty = (grad.flatten(1).norm(2, dim=1) - 1).pow(2).mean()
    loss_c = critic(fake).mean() - critic(real).mean() + 10 * penalty
    opt_c.zero_grad()
    loss_c.backward()
    opt_c.step()
    loss_g = -critic(generator(torch.randn(2, 3))).mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()

# A periodic physics-informed residual: u on a torus, its finite-difference
# Laplacian through a circular pad, the PDE residual's input gradient
# penalised (a Sobolev-style term), and the weights' gradients read.
field = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1, padding_mode="circular"), nn.Tanh(),
                      nn.Conv2d(3, 1, 1))
u_in = torch.randn(1, 1, 4, 4, requires_grad=True)
u = field(u_in)
p = F.pad(u, (1, 1, 1, 1), mode="circular")
lap = p[..., :-2, 1:-1] + p[..., 2:, 1:-1] + p[..., 1:-1, :-2] + p[..., 1:-1, 2:] - 4 * u
residual = (lap + u.sin()).pow(2).mean()
(du,) = torch.autograd.grad(residual, u_in, create_graph=True)
(residual + du.pow(2).sum()).backward()
print(sum(w.grad.abs().sum() for w in field.parameters()).item())
