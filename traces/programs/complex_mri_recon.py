"""A complex-valued MRI reconstruction network (unrolled, data-consistent).

Undersampled k-space is what an MRI scanner measures: complex samples on a
grid, most rows missing. Complex-valued reconstruction nets keep the image
complex throughout: magnitude-and-phase nonlinearities (modReLU and
phase-preserving gains built with `torch.polar(r, angle(z))`), channels of
complex feature maps joined with `torch.cat`/`torch.stack`, and a data
consistency step that puts the measured k-space rows back with a boolean
mask (`torch.where`, `masked_fill`), by row index (`index_select`,
`index_put_`) and by slice assignment (`copy_` into a slice).

The "Fourier transform" here is a fixed complex DFT matrix applied with
complex `mm`/`matmul` (no FFT kernels), so the graph is built from the
element-wise and indexing operators on complex64 tensors: `cat`, `stack`,
`index`, `index_select`, `index_put_`, slicing + `copy_`, `where`,
`masked_fill`, `mul`/`add`/`sub` by complex tensors and complex Python
numbers, `conj_physical`, `neg`, `angle`, `polar`, `sgn`, `abs`. The loss
is real (magnitude and phase error). Three Adam steps on complex weights
and real biases; a complex128 pass of the same block at the end.
"""

import math

import torch

torch.manual_seed(0)
N, C = 8, 2


def dft_matrix(n, dtype):
    k = torch.arange(n, dtype=torch.float64)
    ang = -2.0 * math.pi * torch.outer(k, k) / n
    return torch.polar(torch.full((n, n), 1.0 / math.sqrt(n), dtype=torch.float64), ang).to(dtype)


def mod_relu(z, bias):
    # modReLU (Arjovsky et al.): relu(|z| + b) * z / |z|, kept as polar form
    mag = torch.abs(z)
    phase = torch.angle(z)
    return torch.polar(torch.relu(mag + bias), phase)


class ComplexBlock(torch.nn.Module):
    def __init__(self, channels, n, dtype):
        super().__init__()
        scale = 0.5 / math.sqrt(channels)
        w = torch.polar(torch.rand(channels, 2 * channels, dtype=dtype.to_real()) * scale + 0.1,
                        torch.rand(channels, 2 * channels, dtype=dtype.to_real()) * 6.0 - 3.0)
        self.weight = torch.nn.Parameter(w)
        self.bias = torch.nn.Parameter(torch.full((channels, 1, 1), -0.05, dtype=dtype.to_real()))
        self.gate = torch.nn.Parameter(torch.zeros(channels, n, dtype=dtype))

    def forward(self, z):
        # z: [channels, n, n] complex image
        both = torch.cat([z, z.conj().flip(-1)], dim=0)  # [2C, n, n]
        mixed = torch.einsum("oc,cxy->oxy", self.weight, both)
        act = mod_relu(mixed, self.bias)
        gated = act * torch.sgn(self.gate + 1.0)[:, :, None]
        return z + gated * (0.5 - 0.25j)


def data_consistency(image, kspace, mask, rows, F):
    k = F @ image @ F.t()
    filled = torch.where(mask[:, None], kspace, k)
    filled = filled.masked_fill(~mask[:, None] & (filled.abs() > 50.0), 0.0)
    picked = filled.index_select(0, rows)
    refreshed = filled.clone()
    refreshed.index_put_((rows,), picked * 0.9 + kspace[rows] * 0.1)
    refreshed[0:2].copy_(kspace[0:2])
    Fh = F.conj_physical()
    return Fh @ refreshed @ Fh.t()


def run(dtype, steps):
    F = dft_matrix(N, dtype)
    truth = torch.polar(torch.rand(C, N, N, dtype=dtype.to_real()) + 0.5,
                        torch.rand(C, N, N, dtype=dtype.to_real()) * 2.0 - 1.0)
    kspace = F @ truth @ F.t()
    mask = torch.zeros(N, dtype=torch.bool)
    mask[::3] = True
    rows = torch.nonzero(mask).flatten()
    zero_filled = F.conj().t() @ (kspace * mask[:, None]) @ F.conj()
    block = ComplexBlock(C, N, dtype)
    opt = torch.optim.Adam(block.parameters(), lr=0.02)
    for step in range(steps):
        opt.zero_grad()
        image = block(zero_filled)
        image = torch.stack([data_consistency(image[c], kspace[c], mask, rows, F) for c in range(C)])
        err = image - truth
        loss = (err.abs() ** 2).mean() + 0.1 * (torch.angle(image) - torch.angle(truth)).pow(2).mean()
        loss = loss + (-image).real.mean() * 0.01
        loss.backward()
        opt.step()
        print(str(dtype), step, loss.item())
    return image.detach()


out = run(torch.complex64, 3)
print(out.abs().sum().item(), out.angle().mean().item())
out = run(torch.complex128, 1)
print(out.abs().sum().item())
