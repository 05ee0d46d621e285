"""Overlapping pooling windows under a loss scale.

Inception-style and video classifiers whose pools overlap: a 3x3 stride-2
max pool stem (ResNet's), stride-1 3x3 max and average pools in parallel
branches (count_include_pad=False), adaptive average and max heads whose
windows share rows (6 -> 4), and their 3-d counterparts. Several output
gradients land on one input element, and with the loss scaled by 2**16 (GradScaler's initial scale, as
a mixed-precision loop scales it before unscaling the gradients) their
float32 sum depends on the order and rounding of every addition. Trained
four SGD steps with momentum, one step channels-last, one in float64, then
evaluated.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)
LOSS_SCALE = 65536.0


class InceptionBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.avg_branch = nn.Sequential(
            nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
            nn.Conv2d(c_in, c_out, 1),
        )
        self.max_branch = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(c_in, c_out, 1))
        self.conv_branch = nn.Conv2d(c_in, c_out, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(torch.cat([self.avg_branch(x), self.max_branch(x), self.conv_branch(x)], dim=1))


class ImageNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1, bias=False),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        self.block = InceptionBlock(8, 4)
        self.avg_head = nn.AdaptiveAvgPool2d((4, 4))
        self.max_head = nn.AdaptiveMaxPool2d((2, 3))
        self.fc = nn.Linear(12 * 16 + 12 * 6, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.block(self.stem(x))
        return self.fc(torch.cat([self.avg_head(h).flatten(1), self.max_head(h).flatten(1)], dim=1))


class VideoNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv3d(2, 4, 3, padding=1)
        self.pool = nn.MaxPool3d(3, stride=2, padding=1)
        self.smooth = nn.AvgPool3d(3, stride=1, padding=1)
        self.head = nn.AdaptiveAvgPool3d((2, 3, 3))
        self.max_head = nn.AdaptiveMaxPool3d((1, 2, 2))
        self.fc = nn.Linear(4 * 18 + 4 * 4, 3)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        h = self.smooth(self.pool(F.relu(self.conv(v))))
        return self.fc(torch.cat([self.head(h).flatten(1), self.max_head(h).flatten(1)], dim=1))


def scaled_step(model: nn.Module, opt: torch.optim.Optimizer, loss: torch.Tensor) -> float:
    opt.zero_grad()
    (loss * LOSS_SCALE).backward()
    for p in model.parameters():
        if p.grad is not None:
            p.grad.div_(LOSS_SCALE)
    opt.step()
    return loss.item()


images = torch.randn(4, 3, 12, 12)
labels = torch.tensor([0, 3, 1, 4])
clips = torch.randn(2, 2, 5, 8, 8)
clip_labels = torch.tensor([2, 0])

net = ImageNet()
video = VideoNet()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
video_opt = torch.optim.SGD(video.parameters(), lr=0.05, momentum=0.9)
for step in range(4):
    x = images.contiguous(memory_format=torch.channels_last) if step == 2 else images
    loss = F.cross_entropy(net(x), labels)
    video_loss = F.cross_entropy(video(clips), clip_labels)
    print(step, round(scaled_step(net, opt, loss), 4), round(scaled_step(video, video_opt, video_loss), 4))

# One step in float64: the same kernels accumulate in double.
net64 = ImageNet().double()
opt64 = torch.optim.SGD(net64.parameters(), lr=0.05)
print("float64", round(scaled_step(net64, opt64, F.cross_entropy(net64(images.double()), labels)), 6))

net.eval()
video.eval()
with torch.no_grad():
    print(net(images).argmax(1).tolist(), video(clips).argmax(1).tolist())
