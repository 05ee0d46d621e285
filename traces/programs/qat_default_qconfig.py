"""Quantization-aware training with PyTorch's default QAT qconfig.

A small conv net as the eager-mode QAT tutorial builds it: `QuantStub` /
`DeQuantStub`, Conv2d + BatchNorm2d + ReLU fused by `fuse_modules_qat`
(`ConvBnReLU2d`: the BatchNorm folded into the convolution's weight),
`get_default_qat_qconfig("fbgemm")` and `prepare_qat`. Every observer is a
`FusedMovingAvgObsFakeQuantize`: one `_fused_moving_avg_obs_fq_helper` call
per activation (per tensor, `quint8` over 0..127 with `reduce_range`) and
per weight (per channel, symmetric `qint8`: its first call resizes the
observer's empty running minimum and maximum and its one-element scale and
zero point to the channel count), whose backward
(FusedMovingAvgObsFqHelperBackward0) multiplies the gradient by the mask.
Six SGD-momentum steps: the observers move their running extrema (averaging
constant 0.01), then `disable_observer` freezes the quantization
parameters, `freeze_bn_stats` freezes the BatchNorm statistics, a step with
fake quantization off (`disable_fake_quant`: a copy and an all-true mask)
and back on, and an evaluation pass under `no_grad`.
"""

import torch
import torch.ao.quantization as tq
import torch.nn.functional as F
from torch import nn
from torch.ao.nn.intrinsic.qat import freeze_bn_stats

torch.manual_seed(0)


class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 4)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu(self.bn(self.conv(x)))
        x = torch.flatten(self.pool(x), 1)
        return self.dequant(self.fc(x))


model = SmallNet().train()
model.qconfig = tq.get_default_qat_qconfig("fbgemm")
model = tq.fuse_modules_qat(model, [["conv", "bn", "relu"]])
tq.prepare_qat(model, inplace=True)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
images = torch.randn(6, 3, 8, 8)
labels = torch.tensor([0, 1, 2, 3, 1, 0])
for step in range(6):
    if step == 3:
        model.apply(tq.disable_observer)
    if step == 4:
        model.apply(freeze_bn_stats)
        model.apply(tq.disable_fake_quant)
    if step == 5:
        model.apply(tq.enable_fake_quant)
    loss = F.cross_entropy(model(images), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("step", step, round(loss.item(), 6))

weight_fq = model.conv.weight_fake_quant
print("weight scales", [round(s, 8) for s in weight_fq.scale.tolist()], weight_fq.zero_point.tolist())
print("activation", round(model.quant.activation_post_process.scale.item(), 8), model.quant.activation_post_process.zero_point.item())
model.eval()
with torch.no_grad():
    predictions = model(images).argmax(dim=1)
print("predictions", predictions.tolist())
