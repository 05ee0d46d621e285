"""A frequency sweep of a lossy transmission line in complex128, as an RF
engineer scripts it: per-unit-length R, L, G, C give the propagation
constant `gamma = sqrt((R + jwL)(G + jwC))` and characteristic impedance
`Z0 = sqrt(Z / Y)`; the input impedance of a loaded line is
`Z0 (ZL + Z0 tanh(gamma l)) / (Z0 + ZL tanh(gamma l))`; the reflection
coefficient, return loss and phase come from `log`; a cascade of sections
multiplies transfer factors with `prod`; `1 - Gamma` (rsub with a tensor),
`(1 + 2j) - z` (rsub with a Python complex), `pow` by a complex tensor, a
complex `sigmoid` soft limiter, and the frequency grid built into
preallocated buffers with `torch.add(..., out=)` / `torch.sub(..., out=)`.
"""

import math

import torch

torch.manual_seed(0)

n = 48
f0 = torch.linspace(1.0e6, 2.0e9, n, dtype=torch.float64)
jitter = torch.rand(n, dtype=torch.float64) * 1.0e5
freq = torch.empty(n, dtype=torch.float64)
torch.add(f0, jitter, out=freq)
guard = torch.empty(n, dtype=torch.float64)
torch.sub(freq, f0, alpha=0.5, out=guard)
omega = 2 * math.pi * freq

# per-unit-length parameters of a coax (ohm/m, H/m, S/m, F/m)
R, L, G, C = 0.05, 2.5e-7, 1.0e-6, 1.0e-10
Z = torch.complex(torch.full_like(omega, R), omega * L)
Y = torch.complex(torch.full_like(omega, G), omega * C)
gamma = torch.sqrt(Z * Y)
Z0 = torch.sqrt(Z / Y)
alpha, beta = gamma.real, gamma.imag

length = 0.75
loads = torch.tensor([50.0 + 0.0j, 10.0 - 25.0j, 200.0 + 80.0j, 0.5 + 0.0j], dtype=torch.complex128)
t = torch.tanh(gamma * length).unsqueeze(1)
z0 = Z0.unsqueeze(1)
zin = z0 * (loads + z0 * t) / (z0 + loads * t)

# reflection at the source, return loss in dB and phase via log
gamma_in = (zin - 50.0) / (zin + 50.0)
transmitted = 1 - gamma_in
log_gamma = torch.log(gamma_in)
return_loss_db = -20.0 / math.log(10.0) * log_gamma.real
phase = log_gamma.imag
vswr = (1 + gamma_in.abs()) / (1 - gamma_in.abs())

# a cascade of sections: transfer factors multiplied together
sections = torch.exp(-gamma[:6] * 0.1)
through = sections.prod()
shifted = (1 + 2j) - sections

# a complex power law and a soft limiter
expo = torch.complex(torch.linspace(0.5, 1.5, 6, dtype=torch.float64), torch.linspace(-0.2, 0.2, 6, dtype=torch.float64))
law = torch.pow(sections, expo)
limited = torch.sigmoid(zin[:8] / 100.0)

best = return_loss_db.argmax(dim=0)
summary = torch.stack([return_loss_db.mean(dim=0), vswr.amin(dim=0), phase.std(dim=0)])
