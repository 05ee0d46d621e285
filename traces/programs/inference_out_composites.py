"""Preallocated `out=` buffers filled by composite operators under `inference_mode`.

Inside `torch.inference_mode()` a dispatch mode sees CompositeImplicitAutograd
operators whole, `out=` overloads included: `torch.matmul(a, b, out=c)` is
one `aten.matmul.out` event (outside it, the mode sees `mm.out` and the
like). An evaluation loop that reuses buffers meets them through `matmul`,
`clip`, `std`/`var`, the comparison and arithmetic aliases (`greater`,
`divide`, `multiply`, `negative`, `square`, ...), `special.ndtr` and the
`torch.fft` family. Each result is the functional composite's, written into
`out` as PyTorch's `resize_output` does: a buffer of the right shape keeps
its strides (a transposed buffer is written through them), an empty one is
resized, and `matmul.out` alone among these has an ADInplaceOrView kernel
in its dispatch chain. A small regressor trains two SGD steps first; the
buffers are then refilled batch after batch.
"""

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 4))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(2):
    x = torch.randn(5, 6)
    loss = model(x).square().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()

w1, b1 = model[0].weight.detach(), model[0].bias.detach()
hidden = torch.empty(5, 8)
hidden_t = torch.empty(8, 5).t()  # right shape, transposed strides
scores = torch.empty(0)  # resized on first use
batched = torch.empty(2, 5, 8)
clipped = torch.empty(5, 8)
spread = torch.empty(8)
variance = torch.empty(0)
above = torch.empty(5, 8, dtype=torch.bool)
low = torch.empty(5, 8, dtype=torch.bool)
ratio = torch.empty(5, 8)
floor_ratio = torch.empty(5, 8)
scaled = torch.empty(5, 8)
flipped = torch.empty(5, 8)
squared = torch.empty(5, 8)
magnitude = torch.empty(5, 8)
angle = torch.empty(5, 8)
truncated = torch.empty(5, 8)
diff = torch.empty(5, 8)
peak = torch.empty(5, 8)
trough = torch.empty(5, 8)
cdf = torch.empty(5, 8)
spectrum = torch.empty(5, 5, dtype=torch.complex64)
signal = torch.empty(5, 8)
diagonal = torch.empty(0)
with torch.inference_mode():
    for batch in range(2):
        x = torch.randn(5, 6)
        torch.matmul(x, w1.t(), out=hidden)
        torch.matmul(x, w1.t(), out=hidden_t)
        torch.matmul(hidden, model[2].weight.t(), out=scores)
        torch.matmul(torch.randn(2, 5, 6), w1.t(), out=batched)
        torch.clip(hidden + b1, -0.5, 0.5, out=clipped)
        torch.clip(hidden, min=b1 - 1, max=b1 + 1, out=clipped)
        torch.std(hidden, 0, out=spread)
        torch.var(hidden, 1, keepdim=True, out=variance)
        torch.greater(hidden, b1, out=above)
        torch.less_equal(hidden, 0.25, out=low)
        torch.divide(hidden, clipped + 2, out=ratio)
        torch.divide(hidden, 0.3 + clipped.abs(), rounding_mode="floor", out=floor_ratio)
        torch.multiply(hidden, ratio, out=scaled)
        torch.negative(scaled, out=flipped)
        torch.square(flipped, out=squared)
        torch.absolute(flipped, out=magnitude)
        torch.arctan2(hidden, clipped + 1, out=angle)
        torch.fix(hidden * 3, out=truncated)
        torch.subtract(hidden, hidden_t, alpha=0.5, out=diff)
        torch.max(hidden, clipped, out=peak)
        torch.min(hidden, clipped, out=trough)
        torch.special.ndtr(hidden, out=cdf)
        torch.fft.rfft(hidden, out=spectrum)
        torch.fft.irfft(spectrum, n=8, out=signal)
        torch.diag(hidden[:, :5], out=diagonal)
        print(batch, scores.sum().item(), spread.sum().item(), variance.sum().item(), above.sum().item(),
              low.sum().item(), floor_ratio.sum().item(), squared.sum().item(), angle.sum().item(),
              diff.sum().item(), cdf.sum().item(), signal.sum().item(), diagonal.sum().item())
