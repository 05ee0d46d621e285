# Spectral methods with the FFT sample frequencies: a pseudo-spectral PDE
# residual (derivatives as i*2*pi*k multipliers built from fftfreq/rfftfreq),
# a Fourier-feature low-pass loss on a 2-D field, and a 1-D spectral
# convolution trained with Adam. float32 and float64, d given and default.
import math

import torch
from torch import nn

torch.manual_seed(31)

# Periodic heat equation u_t = nu u_xx: fit a decay rate per mode so one
# spectral step of a learned operator matches the exact solution.
n, L = 32, 2 * math.pi
x = torch.arange(n, dtype=torch.float64) * (L / n)
u0 = torch.sin(x) + 0.5 * torch.cos(3 * x) + 0.2 * torch.sin(5 * x)
k = torch.fft.rfftfreq(n, d=L / n, dtype=torch.float64) * (2 * math.pi)
nu, dt = 0.1, 0.05
u1 = torch.fft.irfft(torch.fft.rfft(u0) * torch.exp(-nu * k**2 * dt), n=n)

log_rate = nn.Parameter(torch.zeros(k.shape[0], dtype=torch.float64))
opt = torch.optim.Adam([log_rate], lr=0.1)
for step in range(4):
    opt.zero_grad()
    pred = torch.fft.irfft(torch.fft.rfft(u0) * torch.exp(-log_rate.exp() * k**2 * dt), n=n)
    loss = (pred - u1).pow(2).mean()
    loss.backward()
    opt.step()
    print("heat", step, loss.item())

# Spectral derivative with the two-sided frequencies (complex fft), float32.
m = 16
xs = torch.arange(m, dtype=torch.float32) * (2 * math.pi / m)
f = torch.sin(2 * xs).requires_grad_(True)
freqs = torch.fft.fftfreq(m, d=1.0 / m)
df = torch.fft.ifft(torch.fft.fft(f) * (1j * freqs)).real
print("derivative", (df - 2 * torch.cos(2 * xs).detach()).abs().max().item() < 1e-4)
df.pow(2).sum().backward()
print("grad", f.grad.abs().sum().item())

# Low-pass penalty on a 2-D field: energy above a radius in frequency space.
field = nn.Parameter(torch.randn(12, 10))
fy = torch.fft.fftfreq(12)
fx = torch.fft.rfftfreq(10)
radius = torch.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)
high = (radius > 0.25).float()
target = torch.randn(12, 10)
opt2 = torch.optim.SGD([field], lr=0.5)
for step in range(3):
    opt2.zero_grad()
    spec = torch.fft.rfft2(field)
    loss = (field - target).pow(2).mean() + 0.1 * (spec.abs().pow(2) * high).mean()
    loss.backward()
    opt2.step()
    print("lowpass", step, loss.item())

print(torch.fft.fftfreq(5).tolist(), torch.fft.fftfreq(6, 0.5).tolist())
print(torch.fft.rfftfreq(7, d=0.1, dtype=torch.float64).tolist(), torch.fft.rfftfreq(1).tolist())
print(torch.fft.fftfreq(0).shape, torch.fft.fftfreq(4, dtype=torch.bfloat16).tolist())
print(torch.fft.fftshift(torch.fft.fftfreq(8)).tolist())
for bad in (dict(dtype=torch.int64), dict(dtype=torch.complex64)):
    try:
        torch.fft.fftfreq(4, **bad)
    except (RuntimeError, NotImplementedError) as e:
        print(type(e).__name__, str(e)[:60])
print(torch.fft.rfftfreq(-3).shape)
try:
    torch.fft.rfftfreq(-5)
except RuntimeError as e:
    print("RuntimeError", str(e)[:60])
