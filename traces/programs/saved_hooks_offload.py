"""Saved-tensor hooks that move what autograd saves: `save_on_cpu` (the
offloading context manager) and a hand-written pair that stores a scaled
copy and undoes the scale on unpack, around operators that save several
tensors (layer and batch norm, attention, lerp, addcmul, atan2, clamp with
tensor bounds, bmm, conv). Each unpack must hand its node the tensor that
node saved in that place."""
import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.ln = nn.LayerNorm(16)
        self.proj = nn.Linear(16, 16)
        self.mix = nn.Parameter(torch.rand(16))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.bn(self.conv(x)))  # [b, 4, 4, 4]
        h = self.ln(h.flatten(2))  # [b, 4, 16]
        q = self.proj(h).view(h.shape[0], 4, 2, 8).transpose(1, 2)
        a = F.scaled_dot_product_attention(q, q, q).transpose(1, 2).reshape(h.shape[0], 4, 16)
        h = torch.lerp(h, a, self.mix)
        h = torch.addcmul(h, a, h, value=0.5)
        h = torch.atan2(h, a + 2.0)
        lo = -a.abs()
        h = torch.clamp(h, lo, a.abs() + 0.1)
        return torch.bmm(h, h.transpose(1, 2)).mean()


net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
x = torch.randn(2, 2, 4, 4)

with torch.autograd.graph.save_on_cpu():
    loss = net(x)
opt.zero_grad()
loss.backward()
opt.step()
print("save_on_cpu", round(loss.item(), 6))


def pack(t: torch.Tensor) -> torch.Tensor:
    return t * 2.0


def unpack(t: torch.Tensor) -> torch.Tensor:
    return t / 2.0


for step in range(2):
    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        loss = net(x)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("scaled", step, round(loss.item(), 6))
