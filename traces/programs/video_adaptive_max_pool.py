"""A video clip classifier with an adaptive 3-D max-pooling head.

Clips of 5 frames of 7x7 pass a bias-free Conv3d + BatchNorm3d stem;
`nn.AdaptiveMaxPool3d((2, 3, 3))` pools to sizes that do not divide the input (overlapping windows
`[floor(o·I/O), ceil((o+1)·I/O))`: `adaptive_max_pool3d`, values and int64
indices within each plane, the first maximum kept), trained three Adam
steps (AdaptiveMaxPool3DBackward0 -> `adaptive_max_pool3d_backward`, the
gradient scattered by index, overlapping windows adding into one element).
Then `return_indices=True`, an unbatched 4-D clip, a channels-last-3d input
(contiguous results), ties and a NaN, float64, a zero output size, and
PyTorch's rank and empty-dimension refusals.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ClipNet(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv3d(3, 6, 3, padding=1, bias=False), nn.BatchNorm3d(6), nn.ReLU())
        self.pool = nn.AdaptiveMaxPool3d((2, 3, 3))
        self.head = nn.Linear(6 * 2 * 3 * 3, classes)

    def forward(self, x):
        return self.head(self.pool(self.stem(x)).flatten(1))


model = ClipNet()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
clips = torch.randn(3, 3, 5, 7, 7)
labels = torch.tensor([0, 3, 1])
for step in range(3):
    loss = F.cross_entropy(model(clips), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("step", step, round(loss.item(), 6))

feats = torch.randn(2, 2, 4, 5, 6, requires_grad=True)
values, indices = F.adaptive_max_pool3d(feats, (3, 2, 4), return_indices=True)
values.pow(2).sum().backward()
print("indices", indices[0, 0].tolist(), feats.grad.abs().sum().item())

single = torch.randn(2, 3, 3, 3, requires_grad=True)
F.adaptive_max_pool3d(single, 2).sum().backward()
print("unbatched", single.grad.sum().item())

cl = torch.randn(1, 2, 4, 4, 4).to(memory_format=torch.channels_last_3d)
v, i = F.adaptive_max_pool3d(cl, (2, 2, 2), return_indices=True)
print("channels_last_3d", v.is_contiguous(), i.tolist()[0][0][0])

ties = torch.zeros(1, 1, 2, 2, 3)
ties[0, 0, 1, 1, 2] = float("nan")
v, i = F.adaptive_max_pool3d(ties, (1, 1, 2), return_indices=True)
print("ties", v.tolist(), i.tolist())

x64 = torch.randn(1, 1, 3, 5, 4, dtype=torch.float64, requires_grad=True)
y64 = F.adaptive_max_pool3d(x64, (2, 2, 3))
y64.sum().backward()
print("float64", y64.sum().item(), x64.grad.sum().item())
print("empty", F.adaptive_max_pool3d(torch.randn(1, 1, 2, 2, 2), (0, 1, 1)).shape)

for bad in (torch.randn(2, 3, 3), torch.randn(1, 2, 0, 3, 3)):
    try:
        F.adaptive_max_pool3d(bad, 2)
    except RuntimeError as e:
        print("caught:", e)
