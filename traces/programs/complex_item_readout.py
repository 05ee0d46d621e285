"""Signal-processing code that reads complex numbers out of tensors.

A small learnable FIR filter is trained so that its frequency response
matches a target at a few bins; the training loop logs the response at
the bins as Python complex numbers (`H[k].item()`, `complex(H[k])`: the
`_local_scalar_dense` of a one-element complex64 tensor gives a Python
`complex`), and uses them in plain Python arithmetic (phase by
`cmath.phase`, the group delay from two neighbouring bins). A complex128
FFT of a float64 chirp is read out the same way, from a conjugated view
(`.conj()[k].item()`: the conjugate bit resolved) and from a product whose
imaginary part cancels; Adam trains the filter on the
magnitude and phase error, both differentiated through `torch.fft.rfft`.
"""

import cmath
import math

import torch

torch.manual_seed(0)

taps = torch.nn.Parameter(torch.randn(9) * 0.1)
bins = torch.tensor([1, 3, 6])
target = torch.polar(torch.tensor([1.0, 0.5, 0.1]), torch.tensor([-0.4, -1.2, -2.5]))
opt = torch.optim.Adam([taps], lr=0.05)

for step in range(4):
    response = torch.fft.rfft(taps, n=16)
    picked = response[bins]
    loss = (picked - target).abs().pow(2).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    h1 = response[1].item()
    h3 = complex(response[3].detach())
    delay = -(cmath.phase(response[2].item()) - cmath.phase(h1)) / (2 * math.pi / 16)
    print("step", step, "loss", round(loss.item(), 6), "H1", h1, "H3", h3, "delay", round(delay, 4))

t = torch.linspace(0, 1, 32, dtype=torch.float64)
chirp = torch.sin(2 * math.pi * (2 * t + 6 * t * t))
spectrum = torch.fft.fft(chirp)
print("bin 3", spectrum[3].item(), "conjugated bin 5", spectrum.conj()[5].item())
energy = (spectrum * spectrum.conj()).sum().item()
print("energy", energy, "imaginary residue", energy.imag)
