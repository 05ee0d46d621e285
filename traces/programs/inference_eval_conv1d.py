"""A 1-d convolutional sequence classifier evaluated under
`torch.inference_mode()`, where the 1-d poolings and `F.pad` are
composites a dispatch mode sees whole.

The network (reflect-padded `Conv1d`, `MaxPool1d`, `AvgPool1d`,
`AdaptiveAvgPool1d`, `AdaptiveMaxPool1d` with indices, a linear head) is
trained two SGD steps (there the poolings and `F.pad` decompose before the
mode), then evaluated in inference mode on sequences padded by `F.pad` in
every mode the runtime has (constant with and without a value, reflect and
replicate over one and two dimensions, batched and unbatched), with
`max_pool1d` (ceil mode, dilation, padding), `avg_pool1d`
(`count_include_pad=False`) and both adaptive poolings called directly
too, and the 1-d poolings of a 2-d (unbatched) input.
"""

import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 6, 3)
        self.pool = nn.MaxPool1d(2)
        self.avg = nn.AvgPool1d(3, stride=1, padding=1)
        self.gap = nn.AdaptiveAvgPool1d(2)
        self.gmp = nn.AdaptiveMaxPool1d(2, return_indices=True)
        self.head = nn.Linear(24, 3)

    def forward(self, x):
        h = torch.relu(self.conv(F.pad(x, (1, 1), mode="reflect")))
        h = self.avg(self.pool(h))
        m, _ = self.gmp(h)
        return self.head(torch.cat([self.gap(h), m], 1).flatten(1))


net = Net()
x, y = torch.randn(8, 2, 12), torch.randint(0, 3, (8,))
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
for _ in range(2):
    opt.zero_grad()
    F.cross_entropy(net(x), y).backward()
    opt.step()

net.eval()
xv = torch.randn(4, 2, 12)
img = torch.randn(2, 3, 5, 6)
with torch.inference_mode():
    logits = net(xv)
    acc = (logits.argmax(1) == torch.arange(4) % 3).float().mean()
    padded = [
        F.pad(xv, (2, 1)),
        F.pad(xv, (0, 3), value=-1.0),
        F.pad(xv, (1, 2), mode="replicate"),
        F.pad(xv[0], (2, 2), mode="reflect"),
        F.pad(img, (1, 2, 2, 1), mode="reflect"),
        F.pad(img, (1, 1, 0, 2), mode="replicate"),
        F.pad(img, (1, 0, 0, 1, 1, 1)),
    ]
    pools = [
        F.max_pool1d(xv, 3, stride=2, padding=1, ceil_mode=True),
        F.max_pool1d(xv, 2, dilation=2),
        F.max_pool1d(xv[0], 4),
        F.avg_pool1d(xv, 3, stride=2, padding=1, count_include_pad=False),
        F.avg_pool1d(xv, 4, ceil_mode=True),
        F.adaptive_avg_pool1d(xv, 5),
        F.adaptive_avg_pool1d(xv[1], 1),
        F.adaptive_max_pool1d(xv, 4),
    ]
    values, where = F.adaptive_max_pool1d(xv, 3, return_indices=True)
    peak, at = F.max_pool1d(xv, 4, return_indices=True)
    report = [round(acc.item(), 4)] + [round(p.sum().item(), 4) for p in padded + pools]
    report += [round(values.sum().item(), 4), where.sum().item(), round(peak.sum().item(), 4), at.sum().item()]

# Printing a tensor detaches it, which a dispatch mode does not see inside
# inference_mode: the loop logs Python numbers.
print(report)
