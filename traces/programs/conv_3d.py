"""3-d convolution forward and backward.

nn.Conv3d reaches aten.convolution with 5-d operands (ConvolutionBackward0,
one convolution_backward with its output mask): anisotropic kernel, stride,
padding and dilation, groups, no bias, an input without grad, float64.
"""

import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(2, 2, 5, 4, 6, requires_grad=True)
grouped = nn.Conv3d(2, 4, (3, 2, 3), stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2)
plain = nn.Conv3d(2, 3, 2, bias=False)
y = grouped(torch.relu(x))
((y * y).sum() + plain(x).mean()).backward()

frozen = torch.randn(1, 2, 3, 3, 3)
grouped(frozen).sum().backward()

xd = torch.randn(1, 1, 3, 3, 3, dtype=torch.float64, requires_grad=True)
nn.Conv3d(1, 2, 2, padding=1, dtype=torch.float64)(xd).sum().backward()
