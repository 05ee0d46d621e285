"""The fast_neural_style and super_resolution examples at tiny size.

TransformerNet: ReflectionPad2d + Conv2d layers, InstanceNorm2d(affine=True),
ReLU, an upsampling layer (`interpolate(mode="nearest", scale_factor=2)`);
the style loss on Gram matrices (`view`, `bmm` with a `transpose`) plus an
MSE content loss on the input scaled by 1/255; Adam. (Convolutions feeding
an instance norm have no bias here: its gradient is zero, and Adam would
turn the rounding noise into full-size steps.) Then the super-resolution
net: Conv2d + ReLU + PixelShuffle with kaiming/xavier init, MSE loss,
Adam, PSNR from `log10` of `loss.item()`, `clamp` of the output.
"""

import torch
import torch.nn.functional as F
from torch import nn
import torch.nn.init as init

torch.manual_seed(0)


class ConvLayer(nn.Module):
    def __init__(self, cin, cout, k, stride, bias=True):
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(k // 2)
        self.conv2d = nn.Conv2d(cin, cout, k, stride, bias=bias)

    def forward(self, x):
        return self.conv2d(self.reflection_pad(x))


class UpsampleConvLayer(nn.Module):
    def __init__(self, cin, cout, k, stride, upsample=None):
        super().__init__()
        self.upsample = upsample
        self.reflection_pad = nn.ReflectionPad2d(k // 2)
        self.conv2d = nn.Conv2d(cin, cout, k, stride, bias=False)

    def forward(self, x):
        if self.upsample:
            x = F.interpolate(x, mode="nearest", scale_factor=self.upsample)
        return self.conv2d(self.reflection_pad(x))


class TransformerNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = ConvLayer(3, 4, 3, 1, bias=False)
        self.in1 = nn.InstanceNorm2d(4, affine=True)
        self.conv2 = ConvLayer(4, 8, 3, 2, bias=False)
        self.in2 = nn.InstanceNorm2d(8, affine=True)
        self.deconv = UpsampleConvLayer(8, 4, 3, 1, upsample=2)
        self.in3 = nn.InstanceNorm2d(4, affine=True)
        self.out = ConvLayer(4, 3, 3, 1)
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.relu(self.in1(self.conv1(x)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.relu(self.in3(self.deconv(y)))
        return self.out(y)


def gram_matrix(y):
    b, ch, h, w = y.size()
    features = y.view(b, ch, w * h)
    return features.bmm(features.transpose(1, 2)) / (ch * h * w)


class SuperRes(nn.Module):
    def __init__(self, upscale):
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 4, 5, 1, 2)
        self.conv2 = nn.Conv2d(4, upscale ** 2, 3, 1, 1)
        self.pixel_shuffle = nn.PixelShuffle(upscale)
        init.kaiming_uniform_(self.conv1.weight, nonlinearity="relu")
        init.xavier_uniform_(self.conv2.weight)

    def forward(self, x):
        return self.pixel_shuffle(self.conv2(self.relu(self.conv1(x))))


net = TransformerNet()
opt = torch.optim.Adam(net.parameters(), 1e-3)
mse = nn.MSELoss()
x = torch.rand(1, 3, 6, 6) * 255
style_gram = gram_matrix(torch.rand(1, 3, 6, 6))
y = net(x / 255)
content = mse(y, x / 255)
style = mse(gram_matrix(y), style_gram)
loss = content + 10.0 * style
opt.zero_grad()
loss.backward()
opt.step()
sr = SuperRes(2)
opt2 = torch.optim.Adam(sr.parameters(), lr=0.01)
lr_img = torch.rand(2, 1, 4, 4)
out = sr(lr_img)
loss = mse(out, torch.rand(2, 1, 8, 8))
opt2.zero_grad()
loss.backward()
opt2.step()
psnr = 10 * torch.log10(1 / loss.item() * torch.ones(1))
out = out.clamp(0, 1)
