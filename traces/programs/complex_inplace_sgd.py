"""A complex-valued linear filter fitted by hand-written gradient descent,
as the complex-numbers tutorial's autograd section writes it: complex64
weights `w` with `requires_grad`, a loss built from `abs()` and
`(e * e.conj()).real`, and the update `w -= lr * w.grad` with
`w.grad.zero_()` under `torch.no_grad()` (`sub_.Tensor` and `zero_` on a
complex tensor). Around it the other in-place complex arithmetic a training
loop writes: a momentum buffer by `buf.mul_(0.9).add_(w.grad)`, a phase
rotation `z.mul_(torch.tensor(1j))`, a normalization `div_` by a complex
and by a real tensor, `add_` with `alpha`, the Scalar overloads
(`mul_(0.5)`, `add_(2)`), complex128 updated by a complex64 operand, and
the refusal of a complex operand written into a real tensor."""
import torch

torch.manual_seed(0)

N, TAPS = 32, 4
signal = torch.randn(N, dtype=torch.cfloat)
true_w = torch.randn(TAPS, dtype=torch.cfloat)
frames = torch.stack([signal[i : i + TAPS] for i in range(N - TAPS)])
target = (frames * true_w).sum(-1)

w = torch.zeros(TAPS, dtype=torch.cfloat, requires_grad=True)
buf = torch.zeros(TAPS, dtype=torch.cfloat)
lr = 0.05
for step in range(4):
    err = (frames * w).sum(-1) - target
    loss = (err * err.conj()).real.mean() + 0.01 * w.abs().sum()
    loss.backward()
    with torch.no_grad():
        buf.mul_(0.9).add_(w.grad)
        w -= lr * buf
        w.grad.zero_()

z = torch.randn(3, dtype=torch.cfloat)
z.mul_(torch.tensor(1j))
z.div_(torch.tensor([1 + 1j, 2 - 1j, -1j], dtype=torch.cfloat))
z.div_(torch.tensor([2.0, 4.0, 0.5]))
z.add_(torch.ones(3, dtype=torch.cfloat), alpha=0.25)
z.mul_(0.5)
z.add_(2)
z.sub_(torch.tensor([1 - 2j, 1 - 2j, 1 - 2j]), alpha=2)
wide = torch.randn(3, dtype=torch.cdouble)
wide.add_(z)
try:
    torch.zeros(3).add_(z)
except RuntimeError as e:
    print("refused:", e)
print(loss.item(), torch.view_as_real(w.detach()).tolist(), torch.view_as_real(z).tolist(), torch.view_as_real(wide).tolist())
