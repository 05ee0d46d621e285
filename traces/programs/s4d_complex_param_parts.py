"""A diagonal state-space (S4D-style) layer whose complex parameter is stored as real parts.

Complex parameters are kept as `nn.Parameter(torch.view_as_real(c))` so
that real-valued optimizers can update them: the parameter is a float32
alias of the complex tensor's storage (api `tensor` with alias, the dtype
differing from the storage's first tensor). The forward views it back
with `view_as_complex`, builds the layer's convolution kernel from a
Vandermonde product of `exp(dt * A)` powers (complex `exp`, `einsum`,
`.real`), convolves through `rfft`/`irfft` with zero padding, and adds a
skip term and GELU. Two AdamW steps on a classification loss; the update
writes the float parameter in place, so the complex tensor sharing its
storage changes too.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class S4DLayer(nn.Module):
    def __init__(self, channels, state=4):
        super().__init__()
        self.log_dt = nn.Parameter(
            torch.rand(channels) * (math.log(0.1) - math.log(0.001)) + math.log(0.001)
        )
        c = torch.randn(channels, state // 2, dtype=torch.cfloat)
        self.c_parts = nn.Parameter(torch.view_as_real(c))
        self.log_a_real = nn.Parameter(torch.log(0.5 * torch.ones(channels, state // 2)))
        self.a_imag = nn.Parameter(math.pi * torch.arange(state // 2).float().repeat(channels, 1))
        self.skip = nn.Parameter(torch.randn(channels))

    def kernel(self, length):
        dt = torch.exp(self.log_dt)
        c = torch.view_as_complex(self.c_parts)
        a = -torch.exp(self.log_a_real) + 1j * self.a_imag
        dt_a = a * dt.unsqueeze(-1)
        powers = torch.exp(dt_a.unsqueeze(-1) * torch.arange(length))
        c = c * (torch.exp(dt_a) - 1.0) / a
        return 2 * torch.einsum("hn,hnl->hl", c, powers).real

    def forward(self, u):
        length = u.size(-1)
        k = self.kernel(length)
        k_f = torch.fft.rfft(k, n=2 * length)
        u_f = torch.fft.rfft(u, n=2 * length)
        y = torch.fft.irfft(u_f * k_f, n=2 * length)[..., :length]
        return F.gelu(y + u * self.skip.unsqueeze(-1))


layer = S4DLayer(4)
encoder = nn.Linear(1, 4)
decoder = nn.Linear(4, 2)
params = list(layer.parameters()) + list(encoder.parameters()) + list(decoder.parameters())
opt = torch.optim.AdamW(params, lr=1e-2)
x = torch.randn(2, 6, 1)
y = torch.tensor([0, 1])
for step in range(2):
    h = encoder(x).transpose(1, 2)
    h = h + layer(h)
    loss = F.cross_entropy(decoder(h.mean(-1)), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")
with torch.no_grad():
    print("complex view follows the parts:", torch.view_as_complex(layer.c_parts)[0].tolist())
