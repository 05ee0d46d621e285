"""A tiny 3-d U-Net segmenting a random 8x8x8 volume: transposed 3-d convolution.

nn.ConvTranspose3d and F.conv_transpose3d reach aten.convolution with
transposed=True and 5-d operands (weight (C_in, C_out/groups, kd, kh, kw));
ConvolutionBackward0 runs one convolution_backward whose output mask asks for
the input, weight and bias gradients that are needed. The encoder downsamples
with a strided nn.Conv3d, the decoder upsamples twice: a U-Net's kernel-2
stride-2 nn.ConvTranspose3d whose output is concatenated with the encoder's
skip connection, and a V-Net-style kernel-3 stride-2 padding-1 one with
output_padding=1, groups=2 and no bias. Blocks are Conv3d + InstanceNorm3d
(affine) or BatchNorm3d + ReLU. The loss is soft Dice plus
binary_cross_entropy_with_logits against a random mask; three Adam steps.
A batch of two float32 volumes runs PyTorch's oneDNN transposed convolution;
a single float64 volume through F.conv_transpose3d with dilation, an
anisotropic stride and output padding below the dilation (not the stride)
runs slow_conv_transpose3d. Four refusals: output padding not below the
stride or dilation (twice), a weight for other input channels, a 4-d weight.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)


def block(c_in: int, c_out: int, norm: type[nn.Module]) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv3d(c_in, c_out, 3, padding=1, bias=False),
        norm(c_out, affine=True) if norm is nn.InstanceNorm3d else norm(c_out),
        nn.ReLU(inplace=True),
    )


class UNet3d(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc1 = block(1, 4, nn.InstanceNorm3d)
        self.down1 = nn.Conv3d(4, 8, 2, stride=2)
        self.enc2 = block(8, 8, nn.BatchNorm3d)
        self.down2 = nn.Conv3d(8, 8, 2, stride=2)
        self.bottom = block(8, 8, nn.BatchNorm3d)
        self.up2 = nn.ConvTranspose3d(8, 8, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False)
        self.dec2 = block(16, 8, nn.BatchNorm3d)
        self.up1 = nn.ConvTranspose3d(8, 4, 2, stride=2)
        self.dec1 = block(8, 4, nn.InstanceNorm3d)
        self.head = nn.Conv3d(4, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s1 = self.enc1(x)  # 8^3
        s2 = self.enc2(self.down1(s1))  # 4^3
        b = self.bottom(self.down2(s2))  # 2^3
        d2 = self.dec2(torch.cat([self.up2(b), s2], dim=1))  # 4^3
        d1 = self.dec1(torch.cat([self.up1(d2), s1], dim=1))  # 8^3
        return self.head(d1)


def dice_bce(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    probs = torch.sigmoid(logits)
    inter = (probs * mask).sum(dim=(2, 3, 4))
    total = probs.sum(dim=(2, 3, 4)) + mask.sum(dim=(2, 3, 4))
    dice = 1 - (2 * inter + 1) / (total + 1)
    return dice.mean() + F.binary_cross_entropy_with_logits(logits, mask)


model = UNet3d()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
volume = torch.randn(2, 1, 8, 8, 8)
mask = (torch.rand(2, 1, 8, 8, 8) > 0.7).float()
for _ in range(3):
    opt.zero_grad()
    loss = dice_bce(model(volume), mask)
    loss.backward()
    opt.step()

# One float64 volume: dilation, anisotropic stride, output padding below the
# dilation in depth; the input gradient only (the weight is a constant).
x = torch.randn(1, 2, 3, 2, 3, dtype=torch.float64, requires_grad=True)
w = torch.randn(2, 3, 2, 3, 2, dtype=torch.float64)
y = F.conv_transpose3d(x, w, stride=(1, 2, 2), padding=(0, 1, 1), output_padding=(1, 1, 0), dilation=(2, 1, 1))
(y * y).sum().backward()

# Refusals a user meets while wiring an upsampling layer: output padding not
# below the stride or the dilation, a weight for another number of input
# channels, a 2-d weight for a 5-d input.
for weight, kwargs in [
    (w, {"stride": 2, "output_padding": 2}),
    (w, {"stride": (1, 2, 2), "output_padding": (1, 0, 0)}),
    (torch.randn(3, 3, 2, 2, 2, dtype=torch.float64), {}),
    (torch.randn(2, 3, 2, 2, dtype=torch.float64), {}),
]:
    try:
        F.conv_transpose3d(x, weight, **kwargs)
    except RuntimeError:
        pass
    else:
        raise AssertionError("expected a refusal")
