"""ShuffleNetV2 as image classifiers train it: a stem, two ShuffleNetV2
units (a stride-2 unit whose two branches are concatenated, a stride-1 unit
that splits the channels with `chunk`), each ending in `nn.ChannelShuffle`
(`channel_shuffle`, ChannelShuffleBackward0: `channel_shuffle(grad, C /
groups)`), depthwise 3x3 convolutions, batch norm, SGD with momentum on
cross entropy for three steps, then an eval pass. Then the channels-last
path (a channels-last model: `channel_shuffle` keeps NHWC strides), a
sub-pixel upsampling head (`pixel_shuffle`/`pixel_unshuffle` and their
backward on channels-last maps), a 3-d channel shuffle of a sequence and of
a channels-last volume, integer and float64 shuffles, an empty batch (an
alias of the input), and PyTorch's refusals
of bad groups and factors."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)


def branch(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False),
        nn.BatchNorm2d(cin),
        nn.Conv2d(cin, cout, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ShuffleUnit(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        half = cout // 2
        if stride == 2:
            self.left = branch(cin, half, 2)
            self.right = nn.Sequential(
                nn.Conv2d(cin, half, 1, bias=False),
                nn.BatchNorm2d(half),
                nn.ReLU(inplace=True),
                *branch(half, half, 2),
            )
        else:
            self.right = nn.Sequential(
                nn.Conv2d(half, half, 1, bias=False),
                nn.BatchNorm2d(half),
                nn.ReLU(inplace=True),
                *branch(half, half, 1),
            )
        self.shuffle = nn.ChannelShuffle(2)

    def forward(self, x):
        if self.stride == 2:
            out = torch.cat((self.left(x), self.right(x)), dim=1)
        else:
            keep, work = x.chunk(2, dim=1)
            out = torch.cat((keep, self.right(work)), dim=1)
        return self.shuffle(out)


class TinyShuffleNet(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.units = nn.Sequential(ShuffleUnit(8, 16, 2), ShuffleUnit(16, 16, 1))
        self.head = nn.Linear(16, classes)

    def forward(self, x):
        x = self.units(self.stem(x))
        return self.head(x.mean((2, 3)))


net = TinyShuffleNet()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
images = torch.randn(4, 3, 8, 8)
labels = torch.tensor([0, 3, 1, 4])
for step in range(3):
    loss = F.cross_entropy(net(images), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5))
net.eval()
with torch.no_grad():
    print(net(images).argmax(1).tolist())

# channels-last: the shuffle keeps NHWC strides, forward and backward
net.train()
net = net.to(memory_format=torch.channels_last)
loss = F.cross_entropy(net(images.to(memory_format=torch.channels_last)), labels)
loss.backward()
print(round(loss.item(), 5), net.stem[0].weight.grad.abs().sum().item())

# a sub-pixel head: four groups shuffled then upsampled by pixel_shuffle,
# downsampled back by pixel_unshuffle, on a channels-last map
feat = torch.randn(2, 16, 3, 3).to(memory_format=torch.channels_last).requires_grad_()
mixed = F.channel_shuffle(feat, 4)
up = F.pixel_shuffle(mixed, 2)
down = F.pixel_unshuffle(up * up.sigmoid(), 2)
print(mixed.stride(), up.stride(), down.stride())
(down.square().mean() + up.mean()).backward()
print(feat.grad.sum().item())

# sequences (N, C, L) and channels-last volumes
seq = torch.randn(3, 6, 5, requires_grad=True)
(F.channel_shuffle(seq, 3).cumsum(-1) * torch.arange(6.0).view(6, 1)).sum().backward()
print(seq.grad[0, :, 0].tolist())
vol = torch.randn(1, 4, 2, 2, 3).to(memory_format=torch.channels_last_3d)
print(F.channel_shuffle(vol, 2).stride())
print(F.channel_shuffle(torch.arange(24).view(1, 6, 4), 2)[0, :, 0].tolist())
print(F.channel_shuffle(torch.randn(2, 4, 3, dtype=torch.float64), 2).sum().item())
empty = torch.randn(0, 4, 2)
print(list(F.channel_shuffle(empty, 2).shape))  # an alias of the empty input

for bad in [(torch.randn(2, 4), 2), (torch.randn(2, 4, 3), 0), (torch.randn(2, 4, 3), 3)]:
    try:
        F.channel_shuffle(*bad)
    except RuntimeError as e:
        print(str(e))
for fn, args in [
    (F.pixel_shuffle, (torch.randn(1, 3, 2, 2), 2)),
    (F.pixel_shuffle, (torch.randn(1, 4, 2, 2), 0)),
    (F.pixel_unshuffle, (torch.randn(1, 1, 4, 3), 2)),
    (F.pixel_unshuffle, (torch.randn(1, 1, 3, 4), 2)),
    (F.pixel_shuffle, (torch.randn(1, 2, 4, 1, 1).to(memory_format=torch.channels_last_3d), 2)),
]:
    try:
        fn(*args)
    except RuntimeError as e:
        print(str(e))
