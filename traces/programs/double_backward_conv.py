"""Double backward through convolutions: ConvolutionBackwardBackward0.

A small convolutional critic (Conv2d, LeakyReLU, a strided Conv2d, Linear)
trained two steps with a WGAN-GP style penalty taken through
`backward(create_graph=True)`: the input gradient's norm (the second
backward reaches `convolution` of ggI with the weight, and the weight
gradient by a convolution with stride and dilation swapped, narrowed to the
kernel), then a penalty on the weight gradients of a batch that does not
require grad (`output_mask=[False, True, True]`: the weight and bias
gradients keep output numbers 1 and 2), a grouped convolution and a
transposed one.
"""

import torch
from torch import nn

torch.manual_seed(0)

critic = nn.Sequential(
    nn.Conv2d(1, 2, 3, padding=1),
    nn.LeakyReLU(0.2),
    nn.Conv2d(2, 2, 3, stride=2, padding=1),
    nn.Flatten(),
    nn.Linear(8, 1),
)
opt = torch.optim.SGD(critic.parameters(), lr=0.01)
for step in range(2):
    real = torch.randn(2, 1, 4, 4) * 0.5
    x = real.clone().requires_grad_(True)
    opt.zero_grad()
    critic(x).sum().backward(create_graph=True)
    penalty = ((x.grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
    x.grad = None
    opt.zero_grad()
    (critic(real).mean() + 0.1 * penalty).backward()
    opt.step()

# Weight-gradient penalty on a batch without grad.
conv = nn.Conv2d(1, 2, 3, stride=2, padding=1)
batch = torch.randn(1, 1, 5, 5) * 0.5
conv(batch).tanh().sum().backward(create_graph=True)
(conv.weight.grad.pow(2).sum() + conv.bias.grad.pow(2).sum()).backward()

# Grouped and transposed convolutions.
grouped = nn.Conv2d(2, 2, 3, padding=1, groups=2)
tconv = nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1)
y = (torch.randn(1, 2, 3, 3) * 0.5).requires_grad_(True)
tconv(grouped(y).tanh()).sum().backward(create_graph=True)
(y.grad.pow(2).sum() + grouped.weight.grad.pow(2).sum() + tconv.weight.grad.pow(2).sum()).backward()
