"""Randomized leaky ReLU as tabular and small-image classifiers use it
(Xu et al.'s RReLU): an MLP with `nn.RReLU()` (`rrelu_with_noise` on an
`empty_like` noise, RreluWithNoiseBackward0: `rrelu_with_noise_backward`
multiplying the gradient by the drawn slopes) and `nn.RReLU(0.1, 0.3,
inplace=True)` (`rrelu_with_noise_`, RreluWithNoiseBackward1 from the
result), trained three Adam steps on cross entropy; an eval pass (the mean
slope, `leaky_relu` inside the kernel) and the eval-mode gradient; a conv
block with RReLU on a channels-last map; float64 `F.rrelu` with its own
bounds, a degenerate range (`lower == upper`: the backward's leaky path),
and the slopes read back as `output / input`."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)


class TabularNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.act1 = nn.RReLU()
        self.fc2 = nn.Linear(16, 16)
        self.act2 = nn.RReLU(0.1, 0.3, inplace=True)
        self.out = nn.Linear(16, 3)

    def forward(self, x):
        h = self.act1(self.fc1(x))
        h = self.act2(self.fc2(h))
        return self.out(h)


net = TabularNet()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
features = torch.randn(12, 6)
labels = torch.randint(0, 3, (12,))
for step in range(3):
    loss = F.cross_entropy(net(features), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5))

net.eval()
logits = net(features)
print(logits.argmax(1).tolist())
logits.logsumexp(1).sum().backward()
print(net.fc1.weight.grad.abs().sum().item())
net.train()

# a conv block: RReLU on a channels-last feature map
conv = nn.Conv2d(2, 4, 3, padding=1).to(memory_format=torch.channels_last)
img = torch.randn(2, 2, 5, 5).to(memory_format=torch.channels_last)
act = nn.RReLU(1 / 8, 1 / 4)
y = act(conv(img))
print(y.is_contiguous(), y.shape)
y.pow(2).mean().backward()
print(conv.weight.grad.sum().item())

# float64 with its own bounds; the slopes are output / input where input <= 0
x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
y = F.rrelu(x, 0.05, 0.5, training=True)
slopes = (y / x).where(x <= 0, torch.ones_like(x))
print(slopes.sum().item())
(y * torch.arange(20.0, dtype=torch.float64).view(4, 5)).sum().backward()
print(x.grad.sum().item())

# a degenerate range: lower == upper
z = torch.randn(3, 4, requires_grad=True)
F.rrelu(z, 0.2, 0.2, training=True).sum().backward()
print(z.grad.tolist())
