"""A float16 CNN trained on CPU: convolutions forward and backward in float16.

`model.half()` puts every convolution in float16. Without float16 oneDNN
kernels (an x86 CPU without AVX-512-FP16 or AMX-FP16) PyTorch runs them on
its im2col loops one batch sample at a time (`Slow2d`, `SlowDilated2d`
for the dilated layer), each sample's matrix product summed in float32 and
rounded to float16 where it is stored: the weight gradient is a float16
accumulator rounded once per sample, the input gradient is rounded at
every col2im addition, the bias gradient is one float32 sum (per sample,
accumulated in float16, for the dilated layer). Inputs are raw values
around 6.5 with a small spread and the stem feeds a float32 batch norm, whose
gradient is centred over the batch, so the stem's weight gradient cancels
across samples and each sample's rounding shows. Layers: a plain 3x3 stem, a strided padded
convolution, a grouped one, a dilated one, a 1-d convolution over the
flattened rows and a side branch on a channels-last input; three SGD steps
at batch 4 with a static loss scale of 256, then a `no_grad` evaluation at batch 8 and at batch 1.
"""
# cpu-dependent-values: PyTorch runs float16 convolutions on oneDNN on a CPU with AVX-512-FP16 or AMX-FP16 (one rounding per result) and on its Slow2d loops elsewhere (a rounding per batch sample); the capture records which (META float16_conv_onednn) and the replay follows it

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)


class HalfCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 6, 3)
        self.norm = nn.BatchNorm2d(6)
        self.down = nn.Conv2d(6, 8, 3, stride=2, padding=1)
        self.grouped = nn.Conv2d(8, 8, 3, padding=1, groups=2)
        self.dilated = nn.Conv2d(8, 4, 2, padding=1, dilation=2)
        self.rows = nn.Conv1d(4, 3, 3, padding=1)
        self.side = nn.Conv2d(3, 3, 3, stride=2)

    def forward(self, x):
        h = F.relu(self.norm(self.stem(x).float()).half())
        h = F.relu(self.down(h))
        h = torch.tanh(self.grouped(h))
        h = self.dilated(h)
        h = self.rows(h.flatten(2)).mean(2)
        side = self.side(x.contiguous(memory_format=torch.channels_last))
        return h + side.mean((2, 3))


model = HalfCnn().half()
model.norm.float()
# a static loss scale, as float16 training uses to keep gradients normal
scale = 256.0
optimizer = torch.optim.SGD(model.parameters(), lr=0.05 / scale)
y = torch.tensor([0, 2, 1, 1])
for step in range(3):
    x = (torch.rand(4, 3, 7, 7) * 3 + 5).half()
    loss = F.cross_entropy(model(x).float(), y)
    optimizer.zero_grad()
    (loss * scale).backward()
    optimizer.step()

with torch.no_grad():
    for batch in (8, 1):
        x = (torch.rand(batch, 3, 7, 7) * 3 + 5).half()
        model(x).float().softmax(1)
