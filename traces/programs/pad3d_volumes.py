"""Volumetric padding as medical-imaging code uses it: a small 3-D
segmentation net whose convolutions pad with `padding_mode="reflect"` and
`"replicate"` (`reflection_pad3d` / `replication_pad3d` and their backward,
ReflectionPad3DBackward0 / ReplicationPad3DBackward0), `nn.ReflectionPad3d`
and `nn.ReplicationPad3d` modules with uneven pads, an unbatched volume,
Dice plus cross-entropy, two Adam steps; then float64 gradgrad through both
(ReflectionPad3DBackwardBackward0, ReplicationPad3DBackwardBackward0) and a
pad too large for reflection caught."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)


class Seg3d(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv3d(1, 4, 3, padding=1, padding_mode="reflect")
        self.c2 = nn.Conv3d(4, 4, 3, padding=1, padding_mode="replicate")
        self.pad = nn.ReflectionPad3d((1, 0, 0, 1, 1, 0))
        self.c3 = nn.Conv3d(4, 4, 2)
        self.head = nn.Conv3d(4, 3, 1)

    def forward(self, x):
        h = F.relu(self.c1(x))
        h = F.relu(self.c2(h)) + h
        h = F.relu(self.c3(self.pad(h)))
        return self.head(h)


net = Seg3d()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
vol = torch.randn(2, 1, 5, 4, 6)
labels = torch.randint(0, 3, (2, 5, 4, 6))
for step in range(2):
    logits = net(vol)
    probs = logits.softmax(1)
    onehot = F.one_hot(labels, 3).permute(0, 4, 1, 2, 3).float()
    inter = (probs * onehot).sum((2, 3, 4))
    dice = 1 - ((2 * inter + 1) / (probs.sum((2, 3, 4)) + onehot.sum((2, 3, 4)) + 1)).mean()
    loss = F.cross_entropy(logits, labels) + dice
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5))

# an unbatched volume through replication padding
edge = nn.ReplicationPad3d((2, 0, 1, 1, 0, 2))(vol[0])
print(list(edge.shape), edge.sum().item())

# float64 gradgrad through both paddings
x = torch.randn(2, 3, 3, 4, dtype=torch.float64, requires_grad=True)
(g,) = torch.autograd.grad(F.pad(x, (1, 2, 1, 1, 2, 1), mode="reflect").pow(2).sum(), x, create_graph=True)
(h,) = torch.autograd.grad(F.pad(x, (0, 1, 2, 0, 1, 1), mode="replicate").pow(3).sum(), x, create_graph=True)
(g.pow(2).sum() + h.sum()).backward()
print(x.grad.sum().item())

try:
    F.pad(vol, (6, 6, 1, 1, 1, 1), mode="reflect")
except RuntimeError as e:
    print(str(e)[:70])
