"""Mirror and edge padding gradients in a fast_neural_style-style training
loop, where a 1e10-weighted Gram-matrix style loss makes the padded borders'
gradients large enough that the order and precision of their sums show.

The transformer network pads every convolution with nn.ReflectionPad2d
(InstanceNorm2d with affine, a residual block, nearest upsampling), a frozen
feature net scores content (MSE of features) and style (Gram matrices via
bmm), Adam steps on a batch of two and then a batch of one. Around it, the
other padding backward kernels: ReflectionPad1d / ReplicationPad1d on a
temporal convolution, ReplicationPad2d on a channels-last image, ReflectionPad3d
and ReplicationPad3d on a small volume, and a bfloat16 ReflectionPad2d. Each
backward adds every padded output gradient into the input element it read, in
the gradient's dtype and the padded output's row-major order (PyTorch's
cpu_padding_backward), so a corner element's float32 sum rounds at each step.
"""
# cpu-dependent-values: the Gram matrices' batched products round their last bit differently on different CPUs, and the style loss's gradients of 10^3-10^4 cancel in convolution_backward to elements of 10^-3

import torch
from torch import nn

torch.manual_seed(21)


class ConvLayer(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.pad = nn.ReflectionPad2d(kernel // 2)
        self.conv = nn.Conv2d(cin, cout, kernel, stride)

    def forward(self, x):
        return self.conv(self.pad(x))


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, 3, 1)
        self.in1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, 3, 1)
        self.in2 = nn.InstanceNorm2d(channels, affine=True)

    def forward(self, x):
        out = torch.relu(self.in1(self.conv1(x)))
        return self.in2(self.conv2(out)) + x


class TransformerNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = ConvLayer(3, 4, 5, 1)
        self.in1 = nn.InstanceNorm2d(4, affine=True)
        self.conv2 = ConvLayer(4, 8, 3, 2)
        self.in2 = nn.InstanceNorm2d(8, affine=True)
        self.res = ResidualBlock(8)
        self.up = ConvLayer(8, 4, 3, 1)
        self.in3 = nn.InstanceNorm2d(4, affine=True)
        self.out = ConvLayer(4, 3, 5, 1)

    def forward(self, x):
        y = torch.relu(self.in1(self.conv1(x)))
        y = torch.relu(self.in2(self.conv2(y)))
        y = self.res(y)
        y = nn.functional.interpolate(y, mode="nearest", scale_factor=2)
        y = torch.relu(self.in3(self.up(y)))
        return self.out(y)


def gram_matrix(y):
    b, ch, h, w = y.size()
    features = y.view(b, ch, w * h)
    return features.bmm(features.transpose(1, 2)) / (ch * h * w)


def normalize_batch(batch):
    mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
    std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
    return (batch / 255.0 - mean) / std


features = nn.Sequential(
    nn.Conv2d(3, 4, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2, 2),
    nn.Conv2d(4, 6, 3, padding=1),
    nn.ReLU(),
)
for p in features.parameters():
    p.requires_grad_(False)

net = TransformerNet()
optimizer = torch.optim.Adam(net.parameters(), 1e-3)
mse = nn.MSELoss()
style = torch.rand(1, 3, 8, 8) * 255
with torch.no_grad():
    gram_style = [gram_matrix(features[:2](normalize_batch(style))), gram_matrix(features(normalize_batch(style)))]

for batch in (2, 1):
    x = torch.rand(batch, 3, 8, 8) * 255
    optimizer.zero_grad()
    y = normalize_batch(net(x))
    xn = normalize_batch(x)
    y1, y2 = features[:2](y), features(y)
    content_loss = 1e5 * mse(y1, features[:2](xn))
    style_loss = 0.0
    for ft, gm in zip((y1, y2), gram_style):
        g = gram_matrix(ft)
        style_loss = style_loss + mse(g, gm.expand_as(g))
    total = content_loss + 1e10 * style_loss
    total.backward()
    optimizer.step()
    print(f"batch {batch}: content {content_loss.item():.2f} style {style_loss.item():.6f}")

# the rest of the padding family, each with a backward
signal = torch.randn(2, 3, 9, requires_grad=True)
temporal = nn.Conv1d(3, 3, 5)
out1 = temporal(nn.ReflectionPad1d((3, 1))(signal)) + temporal(nn.ReplicationPad1d(2)(signal))
image = (torch.randn(1, 4, 5, 6) * 100).contiguous(memory_format=torch.channels_last).requires_grad_()
out2 = nn.ReplicationPad2d((2, 3, 1, 2))(image)
volume = torch.randn(1, 2, 3, 4, 4, requires_grad=True)
out3 = nn.ReflectionPad3d(2)(volume) * 1e3
out4 = nn.ReplicationPad3d((1, 2, 0, 1, 2, 1))(volume)
halfimg = torch.randn(1, 2, 4, 5).to(torch.bfloat16).requires_grad_()
out5 = nn.ReflectionPad2d((2, 1, 3, 2))(halfimg)
loss = (
    out1.pow(2).sum()
    + (out2 * torch.linspace(-50, 50, out2.numel()).view_as(out2)).sum()
    + out3.pow(2).mean()
    + out4.exp().sum()
    + (out5.float() * torch.randn(out5.shape)).sum()
)
loss.backward()
print(signal.grad.abs().sum().item(), image.grad.stride(), volume.grad.sum().item(), halfimg.grad.dtype)
