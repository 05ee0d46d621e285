"""A Fourier neural operator layer (FNO, Li et al.) on a 2-D field.

`torch.fft.rfft2` of the input, the lowest `modes` frequencies (both
corners of the first frequency axis) multiplied by learned complex
weights, `torch.fft.irfft2` back to the grid (`s=` the input's size), plus
a pointwise 1x1 convolution, GELU, and a projection. The complex
weights are kept as real tensors of real and imaginary parts and the
channel mixing is written out with real einsums of the parts, as FNO
implementations written before complex autograd did: the spectrum's parts
come from `view_as_real`, the kept modes are sliced and mixed as real
tensors, zero-padded with `cat`, and `view_as_complex` rebuilds the
spectrum for `irfft2`. Three AdamW steps on a
smoothing target, then an FNet-style token mixer (`torch.fft.fft2(x).real`)
and `torch.fft.fftn`/`ifftn` with `norm="forward"` on the trained output.
"""

import torch


class SpectralConv2d(torch.nn.Module):
    def __init__(self, channels, modes):
        super().__init__()
        self.modes = modes
        scale = 1.0 / (channels * channels)
        shape = (channels, channels, modes, modes)
        self.w_re = torch.nn.Parameter(scale * torch.rand(2, *shape))
        self.w_im = torch.nn.Parameter(scale * torch.rand(2, *shape))

    def mix(self, parts, k):
        re, im = parts[..., 0], parts[..., 1]
        out_re = torch.einsum("bixy,ioxy->boxy", re, self.w_re[k]) - torch.einsum(
            "bixy,ioxy->boxy", im, self.w_im[k]
        )
        out_im = torch.einsum("bixy,ioxy->boxy", re, self.w_im[k]) + torch.einsum(
            "bixy,ioxy->boxy", im, self.w_re[k]
        )
        return torch.stack([out_re, out_im], dim=-1)

    def forward(self, x):
        b, c, h, w = x.shape
        m = self.modes
        parts = torch.view_as_real(torch.fft.rfft2(x))
        low = self.mix(parts[:, :, :m, :m], 0)
        high = self.mix(parts[:, :, -m:, :m], 1)
        zeros = torch.zeros(b, c, h - 2 * m, m, 2)
        kept = torch.cat([low, zeros, high], dim=2)
        pad = torch.zeros(b, c, h, w // 2 + 1 - m, 2)
        out_ft = torch.view_as_complex(torch.cat([kept, pad], dim=3))
        return torch.fft.irfft2(out_ft, s=(h, w))


torch.manual_seed(0)
channels, size = 4, 16
lift = torch.nn.Conv2d(1, channels, 1)
spectral = SpectralConv2d(channels, modes=4)
pointwise = torch.nn.Conv2d(channels, channels, 1)
project = torch.nn.Conv2d(channels, 1, 1)
params = [*lift.parameters(), *spectral.parameters(), *pointwise.parameters(), *project.parameters()]
opt = torch.optim.AdamW(params, lr=5e-3)

field = torch.randn(2, 1, size, size)
kernel = torch.ones(1, 1, 3, 3) / 9.0
target = torch.nn.functional.conv2d(field, kernel, padding=1)

for step in range(3):
    opt.zero_grad()
    h = lift(field)
    h = torch.nn.functional.gelu(spectral(h) + pointwise(h))
    out = project(h)
    loss = torch.nn.functional.mse_loss(out, target)
    loss.backward()
    opt.step()
    print(step, loss.item())

tokens = torch.randn(2, 6, 8, requires_grad=True)
mixed = torch.fft.fft2(tokens).real
mixer_loss = (mixed * torch.linspace(-1, 1, 8)).pow(2).mean()
mixer_loss.backward()
print(mixer_loss.item(), tokens.grad.abs().sum().item())

with torch.no_grad():
    spectrum = torch.fft.fftn(out.squeeze(1), norm="forward")
    back = torch.fft.ifftn(spectrum, norm="forward").real
    print((back - out.squeeze(1)).abs().max().item(), spectrum.abs().sum().item())
