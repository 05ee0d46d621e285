"""A channels-last conv net with a ConvNeXt-style block and a 1x1 adaptive average pooling head.

The model and its input are in `memory_format=torch.channels_last`. The
block is ConvNeXt's: a depthwise 7x7 convolution, a permute to NHWC,
LayerNorm, Linear, GELU, Linear, a permute back, a learned layer scale and
the residual sum. `nn.AdaptiveAvgPool2d(1)` (and `F.adaptive_avg_pool2d`)
of a channels-last input dispatches `mean.dim(keepdim=True)` and then
`as_strided_` of the mean to channels-last strides: the pooled tensor's
node is AsStridedBackward1, whose backward squeezes the size-1 dimensions
and scatters the gradient into fresh storage (`new_zeros`, `as_strided`,
`copy_`, `as_strided`). Two AdamW steps.
"""

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.full((dim, 1, 1), 0.1))

    def forward(self, x):
        y = self.dwconv(x)
        y = y.permute(0, 2, 3, 1)
        y = self.norm(y)
        y = self.pwconv2(self.act(self.pwconv1(y)))
        y = y.permute(0, 3, 1, 2)
        return x + self.gamma * y


class Net(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, kernel_size=2, stride=2)
        self.block = Block(8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(8, classes)

    def forward(self, x):
        x = self.block(self.stem(x))
        return self.head(torch.flatten(self.pool(x), 1))


torch.manual_seed(0)
model = Net().to(memory_format=torch.channels_last)
opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05)
images = torch.randn(4, 3, 8, 8).contiguous(memory_format=torch.channels_last)
labels = torch.tensor([0, 2, 1, 2])

for step in range(2):
    opt.zero_grad()
    logits = model(images)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 6))

# The functional form on a channels-last feature map that requires grad.
feat = torch.randn(2, 3, 3, 8).permute(0, 3, 1, 2).requires_grad_()
pooled = F.adaptive_avg_pool2d(feat, 1)
(pooled * pooled).sum().backward()
print(feat.grad.is_contiguous(memory_format=torch.channels_last), pooled.stride())
