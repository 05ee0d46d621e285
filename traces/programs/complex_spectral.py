"""A complex-valued spectral mixing layer trained with Adam.

What Fourier-neural-operator style models do to their retained modes,
without the FFT: complex activations `x` (built with `torch.complex`) are
mixed per mode by complex weights with `torch.einsum("bim,iom->bom", ...)`
(permutes, reshapes and a complex `bmm`), a complex bias goes through
`exp` (a learned gain and phase), the output is normalised by a complex
divisor (`div`: DivBackward0 conjugates the divisor and the quotient),
raised to a real power (`pow`), inverted (`1 / z`: `reciprocal`) and
reduced over a dimension (`sum.dim_IntList`, `mean.dim`). The loss is
real: `abs` and `.real` of the result against a target built with
`torch.polar`. The weights start from `torch.polar(magnitude, phase)`.
Three Adam steps on the complex parameters, then a complex `mm`.

Then a layer parameterised by real tensors, as models that keep real and
imaginary weights apart do: `torch.complex(re, im)` (ComplexBackward0:
`imag` and `real` of the gradient), a program's own `w.conj().clone()`
(a plain tensor: the clone resolves the conjugate), and a real gain
multiplied into, added to, subtracted from and divided into complex
values: their gradients keep the real part of a complex gradient
(`handle_r_to_c`: `view_as_real`, `select`). Two SGD steps.
"""

import torch

torch.manual_seed(0)
B, I, O, M = 4, 3, 2, 5
x = torch.complex(torch.randn(B, I, M), torch.randn(B, I, M))
magnitude = torch.rand(I, O, M) * 0.5 + 0.25
phase = torch.rand(I, O, M) * 6.0 - 3.0
weight = torch.nn.Parameter(torch.polar(magnitude, phase))
bias = torch.nn.Parameter(torch.zeros(O, M, dtype=torch.complex64))
shift = torch.complex(torch.full((O, 1), 2.0), torch.ones(O, 1))
target = torch.polar(torch.rand(B, O) + 0.5, torch.rand(B, O) * 2.0 - 1.0)
opt = torch.optim.Adam([weight, bias], lr=0.05)

for step in range(3):
    opt.zero_grad()
    mixed = torch.einsum("bim,iom->bom", x, weight)
    gain = torch.exp(bias)
    y = mixed * gain
    scale = y.sum(dim=2, keepdim=True) + shift
    z = (y / scale).pow(2.0)
    inv = 1 / (z + 3.0)
    pooled = inv.mean(dim=2)
    fit = ((pooled.abs() - target.abs()) ** 2).mean()
    along = (pooled.real - target.real).pow(2).mean()
    loss = fit + 0.5 * along
    loss.backward()
    opt.step()
    print(step, loss.item())

with torch.no_grad():
    flat = weight.reshape(I * O, M)
    gram = flat.mm(flat.conj().t())
    print(gram.abs().sum().item(), gram.real.trace().item())

re = torch.nn.Parameter(torch.randn(O, M) * 0.3)
im = torch.nn.Parameter(torch.randn(O, M) * 0.3)
gain = torch.nn.Parameter(torch.rand(O, M) + 0.5)
sgd = torch.optim.SGD([re, im, gain], lr=0.1)
signal = torch.einsum("bim,iom->bom", x, weight.detach())
for step in range(2):
    sgd.zero_grad()
    w = torch.complex(re, im)
    kept = w.conj().clone()
    out = (signal * kept + w * 0.5) * gain + gain
    out = out / (gain + 1.0)
    loss = out.abs().mean() + (out - gain).real.pow(2).mean()
    loss.backward()
    sgd.step()
    print(step, kept.is_conj(), loss.item(), gain.grad.abs().sum().item())
