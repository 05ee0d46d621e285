"""A one-feature regression: `nn.Linear(1, 16)` as the first layer.

The classic tutorial fit of a noisy curve from a single input column:
`Linear(1, 16) -> Tanh -> Linear(16, 1)` trained by SGD with momentum for a
few steps on 48 points, in float32 and in a float64 copy. The first layer's
`addmm(bias, x, weight.t())` has an inner dimension of one, so each output
is a single product plus the bias, which PyTorch's CPU GEMM computes as one
fused multiply-add (`fma(x, w, b)`), not as a rounded product then a
rounded sum. A time-feature layer, `torch.addmm(phase, t, freq, beta=0.5)`,
adds the other inner-dimension-one form: a scaled bias (`fma(0.5, phase,
t * freq)`). Values of every step are recorded, so a sum rounded twice
shows in the first layer's output from the first forward on.
"""

import torch
from torch import nn

torch.manual_seed(0)

x = torch.linspace(-2.0, 2.0, 48).unsqueeze(1)
y = torch.sin(2.0 * x) + 0.1 * torch.randn(48, 1)


def fit(dtype, steps):
    model = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1)).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    xs, ys = x.to(dtype), y.to(dtype)
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(xs), ys)
        loss.backward()
        opt.step()
    return loss.item()


print("float32 loss", fit(torch.float32, 4))
print("float64 loss", fit(torch.float64, 2))

t = torch.arange(6, dtype=torch.float32).unsqueeze(1) / 6.0
freq = torch.randn(1, 8)
phase = torch.randn(8)
features = torch.sin(torch.addmm(phase, t, freq, beta=0.5))
print(features.shape)
