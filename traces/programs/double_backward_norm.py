"""Double backward through normalization layers.

A critic MLP with LayerNorm (as WGAN-GP recommends instead of batch norm)
trained one step with its input-gradient penalty taken through
`backward(create_graph=True)`: NativeLayerNormBackwardBackward0 from the
gradients of the input gradient and of the weight and bias gradients; then
a BatchNorm2d whose weight and bias gradients are penalized in training
mode, and whose input and weight gradients are penalized in evaluation mode
(NativeBatchNormBackwardBackward0 with the batch statistics, then with
`(running_var + eps)^-1/2`).
"""

import torch
from torch import nn

torch.manual_seed(0)

critic = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.LeakyReLU(0.2), nn.Linear(4, 1))
opt = torch.optim.SGD(critic.parameters(), lr=0.05)
for step in range(1):
    x = torch.randn(2, 3, requires_grad=True)
    opt.zero_grad()
    critic(x).sum().backward(create_graph=True)
    penalty = ((x.grad.norm(2, dim=1) - 1) ** 2).mean()
    ln = critic[1]
    penalty = penalty + 0.1 * (ln.weight.grad.pow(2).sum() + ln.bias.grad.pow(2).sum())
    x.grad = None
    opt.zero_grad()
    (critic(x.detach()).mean() + penalty).backward()
    opt.step()

bn = nn.BatchNorm2d(2)
y = torch.randn(2, 2, 2, 2, requires_grad=True)
bn(y).tanh().sum().backward(create_graph=True)
(bn.weight.grad.pow(2).sum() + bn.bias.grad.pow(2).sum()).backward()
bn.eval()
y.grad = None
bn.zero_grad()
bn(y).sigmoid().sum().backward(create_graph=True)
(y.grad.pow(2).sum() + bn.weight.grad.pow(2).sum()).backward()
