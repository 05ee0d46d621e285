"""WGAN-GP style training: a critic MLP with LeakyReLU, random interpolates
between real and fake samples, the critic's input gradient taken with
`torch.autograd.grad(..., create_graph=True)`, a norm penalty
`((g.norm(2, dim=1) - 1) ** 2).mean()` backpropagated with the critic loss,
Adam steps for the critic; the generator trained against it with SGD in
between.
"""

import torch
from torch import nn

torch.manual_seed(0)

critic = nn.Sequential(nn.Linear(2, 6), nn.LeakyReLU(0.2), nn.Linear(6, 1))
generator = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 2))
opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
opt_g = torch.optim.SGD(generator.parameters(), lr=1e-3)

for step in range(2):
    real = torch.randn(4, 2) + 1.0
    fake = generator(torch.randn(4, 3)).detach()
    alpha = torch.rand(4, 1)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    penalty = ((grad.norm(2, dim=1) - 1) ** 2).mean()
    loss_c = critic(fake).mean() - critic(real).mean() + 10.0 * penalty
    opt_c.zero_grad()
    loss_c.backward()
    opt_c.step()

    opt_g.zero_grad()
    loss_g = -critic(generator(torch.randn(4, 3))).mean()
    loss_g.backward()
    opt_g.step()
