"""Quantization-aware training with fake quantization.

A small convolutional classifier trained the way QAT recipes do it: weights
fake-quantized per output channel (symmetric int8, scales from each
channel's absolute maximum), activations per tensor through
torch.ao.quantization's FakeQuantize modules (moving-average min/max
observers, asymmetric uint8, the scale and zero point as tensors), the
straight-through gradient flowing only where nothing was clamped. Then the
kernels' edge cases: ties rounding to even, values beyond the range, NaN and
infinities, float64 inputs, float zero points per channel, a negative axis
fake quantization switched off, and the arguments the kernels refuse.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.ao.quantization import FakeQuantize, MovingAverageMinMaxObserver

torch.manual_seed(0)


def quantize_weight(w: torch.Tensor) -> torch.Tensor:
    """Symmetric int8 per output channel, as a QAT weight observer sets it."""
    amax = w.detach().abs().flatten(1).amax(dim=1).clamp(min=1e-8)
    scale = amax / 127.0
    zero_point = torch.zeros(w.shape[0], dtype=torch.int32)
    return torch.fake_quantize_per_channel_affine(w, scale, zero_point, 0, -128, 127)


def activation_fq() -> FakeQuantize:
    return FakeQuantize(
        observer=MovingAverageMinMaxObserver,
        quant_min=0,
        quant_max=255,
        dtype=torch.quint8,
        qscheme=torch.per_tensor_affine,
        averaging_constant=0.1,
    )


class QatNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.fc = nn.Linear(8 * 4 * 4, 5)
        self.fq_in = activation_fq()
        self.fq1 = activation_fq()
        self.fq2 = activation_fq()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.fq_in(x)
        x = self.fq1(F.relu(F.conv2d(x, quantize_weight(self.conv1.weight), self.conv1.bias, padding=1)))
        x = self.fq2(F.relu(F.conv2d(x, quantize_weight(self.conv2.weight), self.conv2.bias, stride=2, padding=1)))
        return F.linear(x.flatten(1), quantize_weight(self.fc.weight), self.fc.bias)


net = QatNet()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
images = torch.randn(6, 1, 8, 8)
labels = torch.randint(0, 5, (6,))
for step in range(3):
    loss = F.cross_entropy(net(images), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")
# After calibration the observers freeze, as a QAT schedule does late in training.
net.apply(torch.ao.quantization.disable_observer)
net.eval()
with torch.no_grad():
    print("eval", net(images).argmax(dim=1).tolist())
print("scales", [round(float(m.scale), 8) for m in (net.fq_in, net.fq1, net.fq2)])

# Edge cases of the kernels, with gradients.
edges = torch.tensor(
    [0.05, 0.15, 0.25, -0.05, -0.15, 12.7, 12.75, -12.85, 1e30, -1e30, 3.0, -3.0],
    requires_grad=True,
)
special = torch.tensor([float("nan"), float("inf"), -float("inf"), 0.35])
out, = (torch.fake_quantize_per_tensor_affine(edges, 0.1, 0, -128, 127),)
print("per tensor", out.tolist())
print("specials", torch.fake_quantize_per_tensor_affine(special, 0.1, 2, -128, 127).tolist())
print("specials per channel", torch.fake_quantize_per_channel_affine(
    special.view(2, 2), torch.tensor([0.1, 0.2]), torch.tensor([0, 1], dtype=torch.int32), 0, -128, 127
).tolist())
grid = edges.view(3, 4)
per_channel = torch.fake_quantize_per_channel_affine(
    grid, torch.tensor([0.1, 0.05, 0.2, 0.1]), torch.tensor([0, 3, -2, 1], dtype=torch.int32), 1, -8, 7
)
float_zp = torch.fake_quantize_per_channel_affine(
    grid, torch.tensor([0.1, 0.3, 0.02]), torch.tensor([0.5, -1.25, 0.0]), 0, 0, 15
)
tensor_qparams = torch.fake_quantize_per_tensor_affine(
    edges, torch.tensor(0.03), torch.tensor(7, dtype=torch.int32), 0, 255
)
(out.sum() + per_channel.pow(2).sum() + float_zp.sum() + tensor_qparams.mul(0.5).sum()).backward()
print("straight-through grad", edges.grad.tolist())

doubles = torch.linspace(-2.0, 2.0, 9, dtype=torch.float64) / 3.0
print("float64 per tensor", torch.fake_quantize_per_tensor_affine(doubles, 0.1, 1, -16, 15).tolist())
print("float64 per channel", torch.fake_quantize_per_channel_affine(
    doubles.view(3, 3), torch.tensor([0.1, 0.2, 0.3]), torch.tensor([0, 1, 2], dtype=torch.int32), 0, -16, 15
).tolist())
print("float64 float zero point", torch.fake_quantize_per_channel_affine(
    doubles.view(3, 3), torch.tensor([0.1, 0.2, 0.3]), torch.tensor([0.25, 0.5, -0.75]), 1, 0, 31
).tolist())
disabled, mask = torch.ops.aten._fake_quantize_per_tensor_affine_cachemask_tensor_qparams(
    edges.detach(), torch.tensor([0.1]), torch.tensor([0], dtype=torch.int32), torch.tensor([0]), -128, 127
)
print("disabled", disabled.tolist(), mask.all().item())

# What the kernels refuse, with PyTorch's messages.
refusals = {
    "negative axis": lambda: torch.fake_quantize_per_channel_affine(
        grid, torch.ones(4), torch.zeros(4, dtype=torch.int32), -1, 0, 15
    ),
    "axis beyond": lambda: torch.fake_quantize_per_channel_affine(
        grid, torch.ones(4), torch.zeros(4, dtype=torch.int32), 2, 0, 15
    ),
    "channel count": lambda: torch.fake_quantize_per_channel_affine(
        grid, torch.ones(3), torch.zeros(3, dtype=torch.int32), 1, 0, 15
    ),
    "zero point outside": lambda: torch.fake_quantize_per_tensor_affine(grid, 0.1, 20, 0, 15),
    "range reversed": lambda: torch.fake_quantize_per_tensor_affine(grid, 0.1, 0, 15, 0),
    "integer input": lambda: torch.fake_quantize_per_tensor_affine(grid.detach().long(), 0.1, 0, 0, 15),
    "double scale": lambda: torch.fake_quantize_per_channel_affine(
        grid, torch.ones(4, dtype=torch.float64), torch.zeros(4, dtype=torch.int32), 1, 0, 15
    ),
}
for name, call in refusals.items():
    try:
        call()
        print(name, "accepted")
    except (RuntimeError, IndexError, NotImplementedError) as error:
        print(name, type(error).__name__, str(error).splitlines()[0])

# Converting out-of-range floats to integers, as an int8 export does before
# it clamps: what x86 gives (the minimum of int64, or of int32 then wrapped).
raw = torch.tensor([1e30, float("nan"), -300.7, 70000.5, 126.9, -3e9])
for dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
    print("cast", dtype, raw.to(dtype).tolist(), raw.double().to(dtype).tolist())
# Integer arithmetic that overflows wraps instead (only casts from floating
# values take the integer indefinite).
small = torch.tensor([2**30, 2**30 + 5, -(2**31)], dtype=torch.int32)
print("int32 wraps", (small * 4).tolist(), (small + small).tolist(), (small * 3).tolist())
print("uint8 wraps", (torch.tensor([100, 200], dtype=torch.uint8) * 3).tolist())
