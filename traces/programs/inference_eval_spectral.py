"""A spectral model's and a signal-processing pipeline's evaluation under
`torch.inference_mode()`, where the `torch.fft` transforms are composites a
dispatch mode sees whole.

An FNO-style operator network (`rfft` along the grid, a complex weight on
the lowest modes by `einsum`, `irfft(n=...)` back) and an FNet-style mixer
(`fft2(..).real`) train two Adam steps with autograd on, then run under
`torch.inference_mode()` with every transform of the family in every
`norm` (`None`, "backward", "ortho", "forward"): `fft`/`ifft` of real and
complex inputs (`n` padding and cutting, `dim`), `rfft`, `irfft`, `ihfft`,
`fft2`/`ifft2`/`fftn`/`ifftn` (`s` padding a real input made complex,
`dim`), `rfft2`/`rfftn`, `irfft2`/`irfftn`, `ihfft2`/`ihfftn`, an integer
input, `fftshift`/`ifftshift`, `fftfreq`/`rfftfreq`, and `real`/`imag`/
`angle`/`abs`/`view_as_real`/`polar`/`complex`. A filter's gain trains by
`rfft`/`irfft`, `ifftn(real, s=...)` pads a complex tensor with autograd on
(`constant_pad_nd` of complex64), and the evaluation filters, pads, takes
phases and powers. `hfft` is left out: see README.
"""
import torch
from torch import nn
torch.manual_seed(0)

class SpectralConv1d(nn.Module):
    def __init__(self, c, modes):
        super().__init__()
        self.modes = modes
        self.w = nn.Parameter(torch.randn(c, c, modes, dtype=torch.cfloat) * 0.1)
    def forward(self, x):
        xf = torch.fft.rfft(x, dim=-1)
        out = torch.zeros(x.shape[0], x.shape[1], xf.shape[-1], dtype=torch.cfloat)
        out[:, :, :self.modes] = torch.einsum("bix,iox->box", xf[:, :, :self.modes], self.w)
        return torch.fft.irfft(out, n=x.shape[-1], dim=-1)

class FNO(nn.Module):
    def __init__(self):
        super().__init__()
        self.lift = nn.Linear(1, 4)
        self.spec = SpectralConv1d(4, 3)
        self.proj = nn.Linear(4, 1)
    def forward(self, x):
        h = self.lift(x.unsqueeze(-1)).transpose(1, 2)
        h = torch.relu(self.spec(h) + h)
        return self.proj(h.transpose(1, 2)).squeeze(-1)

class FNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Linear(3, 8)
        self.ff = nn.Linear(8, 2)
    def forward(self, x):
        h = self.emb(x)
        h = torch.fft.fft2(h).real + h
        return self.ff(h.mean(1))

fno, fnet = FNO(), FNet()
opt = torch.optim.Adam(list(fno.parameters()) + list(fnet.parameters()), lr=1e-2)
x = torch.randn(2, 8); y = torch.sin(x)
s = torch.randn(2, 5, 3); t = torch.tensor([0, 1])
for _ in range(2):
    opt.zero_grad()
    loss = ((fno(x) - y) ** 2).mean() + nn.functional.cross_entropy(fnet(s), t)
    loss.backward(); opt.step()

with torch.inference_mode():
    p = fno(x); q = fnet(s)
    z = torch.randn(3, 6)
    zc = torch.randn(3, 6, dtype=torch.cfloat)
    outs = []
    for norm in [None, "backward", "ortho", "forward"]:
        outs += [torch.fft.fft(z, norm=norm), torch.fft.ifft(z, norm=norm), torch.fft.fft(zc, norm=norm), torch.fft.ifft(zc, n=4, norm=norm),
                 torch.fft.fft(zc, n=9, dim=0, norm=norm), torch.fft.rfft(z, norm=norm), torch.fft.irfft(zc, norm=norm), torch.fft.irfft(zc, n=7, norm=norm),
                 torch.fft.ihfft(z, norm=norm), torch.fft.ihfft(z, n=8, norm=norm),
                 torch.fft.fft2(z, norm=norm), torch.fft.ifft2(zc, s=(4, 8), norm=norm), torch.fft.fftn(zc, norm=norm), torch.fft.ifftn(z, s=(5, 7), norm=norm),
                 torch.fft.fftn(z, dim=(0,), norm=norm), torch.fft.rfft2(z, norm=norm), torch.fft.irfft2(zc, norm=norm), torch.fft.rfftn(z, s=(2, 10), norm=norm),
                 torch.fft.irfftn(zc, s=(3, 9), norm=norm), torch.fft.ihfft2(z, norm=norm),
                 torch.fft.ihfftn(z, s=(4, 4), norm=norm), torch.fft.ihfftn(z, dim=(1,), norm=norm)]
    zi = torch.arange(6)
    outs += [torch.fft.fft(zi), torch.fft.rfft(zi), torch.fft.fftshift(zc), torch.fft.ifftshift(zc, dim=1),
             torch.fft.fftfreq(7), torch.fft.fftfreq(8, d=0.5), torch.fft.rfftfreq(7), torch.fft.rfftfreq(8, 2.0, dtype=torch.float64),
             torch.real(zc), torch.imag(zc), torch.angle(zc), torch.abs(zc), torch.view_as_real(zc), zc.real, zc.imag, torch.real(z),
             torch.polar(z.abs(), z), torch.complex(z, z * 2), torch.angle(z), torch.fft.fft(z.double()), torch.conj(zc).real]
    total = sum(o.abs().sum() for o in outs)
print('spectral', float(total), p.shape, q.shape)

# -- signal processing --
torch.manual_seed(1)
# Signal-processing evaluation: fft-based low-pass filtering, ifftn with s= padding, hfft.
sig = torch.randn(4, 32)
filt = torch.nn.Parameter(torch.ones(17))
opt = torch.optim.SGD([filt], lr=0.1)
clean = torch.sin(torch.linspace(0, 6.28, 32)).expand(4, 32)
for _ in range(2):
    opt.zero_grad()
    out = torch.fft.irfft(torch.fft.rfft(sig) * filt, n=32)
    loss = ((out - clean) ** 2).mean()
    loss.backward(); opt.step()
# training mode: ifftn of real input with s= padding (complex constant_pad_nd)
img = torch.randn(3, 5, requires_grad=True)
up = torch.fft.ifftn(img, s=(6, 8))
up.abs().sum().backward()
with torch.inference_mode():
    spec = torch.fft.rfft(sig, norm="ortho")
    freqs = torch.fft.rfftfreq(32, d=1 / 32)
    mask = (freqs < 8).to(spec.dtype)
    filtered = torch.fft.irfft(spec * mask * filt, n=32, norm="ortho")
    snr = 10 * torch.log10(filtered.pow(2).mean(-1) / (sig - filtered).pow(2).mean(-1))
    padded = torch.fft.ifftn(torch.randn(2, 3, 4), s=(4, 6), dim=(1, 2))
    padc = torch.fft.ifftn(torch.randn(3, 4, dtype=torch.cfloat), s=(5, 5))
    back = torch.fft.irfft(torch.fft.ihfft(sig).conj(), n=32) * 32
    err = (back - sig).abs().max()
    power = torch.fft.fftshift(torch.fft.fft(sig).abs() ** 2, dim=-1)
    ph = torch.angle(torch.fft.fft(sig))
    re = torch.fft.fft(sig).real
    im = torch.fft.fft(sig, norm="forward").imag
    cp = torch.nn.functional.pad(torch.fft.fft(sig), (1, 2), value=0.0)
print('signal',float(snr.mean()), float(err), padded.shape, padc.shape, power.shape, float(ph.sum()), float(re.sum()), float(im.sum()), cp.shape)
with torch.inference_mode():
    # Hermitian-symmetric spectra back to real signals: hfft transforms the
    # conjugate of its input.
    half_spec = torch.fft.rfft(sig, norm="forward")
    herm = torch.fft.hfft(half_spec, n=32)
    herm2 = torch.fft.hfft2(torch.randn(3, 5, dtype=torch.cfloat), s=(3, 8))
    hermn = torch.fft.hfftn(torch.randn(2, 3, 4, dtype=torch.cfloat), dim=(0, 2), norm="ortho")
print('hermitian', float(herm.sum()), float(herm2.abs().sum()), float(hermn.sum()), herm2.shape, hermn.shape)
