"""bfloat16 linear layers whose terms cancel: session features with raw timestamps.

Each row of a small event log holds a session's raw Unix start and end times
(about 1.7e9 s) among small-scale features (click counts, dwell minutes, a
rate). The first layer is set by hand to read durations, `end - start`,
plus small weights on the rest, so its products of about 1.7e9 cancel and
the result is what the small terms leave. In float32 (PyTorch's
accumulator for bfloat16) a small term added while 1.7e9 is still in the
sum is lost to its 128-unit spacing, so each output depends on the order
PyTorch's CPU GEMM loop sums in: `F.linear` (addmm with the transposed
weight: the vectorised dot product), `x @ w.t()` without a bias, `w @ x.t()`
and `x.t().t() @ w.t()` style layouts (the four-sum loop and the loop that
accumulates into a float copy of the result), `torch.addmm` with `beta` and
`alpha`, a float16 copy (seconds within a window, weighted by 128), and the backward of a one-output head stacked on
the duration layer (its weight gradient `g.t() @ h`). Every product is
small enough (`M·N·K <= 4096`) for PyTorch's own loops rather than oneDNN.
"""

import torch
import torch.nn.functional as F

torch.manual_seed(0)

sessions = 12
start = 1.7e9 + torch.randint(0, 10_000_000, (sessions, 1)).double()
length = torch.randint(0, 4000, (sessions, 1)).double()
clicks = torch.randint(0, 40, (sessions, 1)).double()
dwell = torch.rand(sessions, 1).double() * 30
rate = torch.rand(sessions, 1).double()
# start, clicks, dwell, end, rate: the two timestamps apart, as a log has them
raw = torch.cat([start, clicks, dwell, start + length, rate], dim=1)
x = raw.to(torch.bfloat16)

w = torch.tensor(
    [
        [-1.0, 0.5, 0.25, 1.0, 2.0],
        [-1.0, -0.75, 1.5, 1.0, -3.0],
        [1.0, 0.125, -0.5, -1.0, 1.0],
        [-1.0, 2.0, 0.0625, 1.0, 0.5],
        [0.0, 1.0, -1.0, 0.0, 4.0],
        [1.0, -1.5, 0.75, -1.0, -0.25],
    ],
    dtype=torch.bfloat16,
)
b = torch.tensor([0.5, -0.25, 1.0, 0.0, -2.0, 0.125], dtype=torch.bfloat16)

durations = F.linear(x, w, b)
print("linear", durations.float().sum().item())
print("mm", (x @ w.t()).float().sum().item())
print("w @ x.t()", (w @ x.t()).float().sum().item())
xt = x.t().contiguous()
print("both transposed", (xt.t() @ w.t().contiguous().t().t()).float().sum().item())
print("addmm beta/alpha", torch.addmm(b, x, w.t(), beta=0.5, alpha=1.5).float().sum().item())
print("addmm full bias", torch.addmm(durations, x, w.t(), beta=1.0, alpha=-1.0).float().sum().item())
# float16: the seconds within a ~14-hour window, weighted by 128, for
# sessions under 256 s
window = start % 50_000
raw_half = torch.cat([window, clicks, dwell, window + length % 256, rate], dim=1).half()
scale = torch.tensor([128.0, 1.0, 1.0, 128.0, 1.0], dtype=torch.float16)
half = F.linear(raw_half, w.half() * scale, b.half())
print("float16", half.float().sum().item())

head = torch.nn.Linear(6, 1).to(torch.bfloat16)
target = torch.randn(sessions, 1).to(torch.bfloat16)
features = torch.tanh(durations / 1024)
pred = head(features)
loss = ((pred - target) ** 2).mean()
loss.backward()
print("head grads", head.weight.grad.float().sum().item(), head.bias.grad.float().sum().item())
