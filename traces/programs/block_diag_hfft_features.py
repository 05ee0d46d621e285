"""Block-diagonal mixing with a frozen block and Hermitian-FFT spectral
features: gradients through `block_diag` of tensors that partly require
grad, and through a real signal cast to complex and conjugated.

A grouped linear layer assembles its weight with `torch.block_diag` from
two learnable blocks, a frozen identity block and a frozen 1-d row (a
common way to keep some channels fixed in grouped or recurrent mixers);
BlockDiagBackward0 slices the gradient for every block, the frozen ones
included, before the engine drops them. A spectral head turns each
feature row into a Hermitian spectrum with `torch.fft.hfft` (which casts
the real input to complex and conjugates it) and `torch.fft.ihfft`, so the
cast's backward (ToCopyBackward0) takes the real part of a conjugate
gradient: PyTorch resolves the conjugation before viewing it as real. The
model trains four Adam steps on a regression target.
"""

import torch
import torch.nn as nn

torch.manual_seed(0)


class BlockMixer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.randn(3, 3) * 0.4)
        self.b = nn.Parameter(torch.randn(2, 4) * 0.4)
        self.register_buffer("frozen", torch.eye(2))
        self.register_buffer("row", torch.full((3,), 0.5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.block_diag(self.a, self.frozen, self.b, self.row)
        return x @ w


class SpectralHead(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.proj = nn.Linear(width, 6)
        self.out = nn.Linear(10 + 4, 1)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        z = torch.tanh(self.proj(f))
        spec = torch.fft.hfft(z)  # real input -> complex -> conj -> c2r
        back = torch.fft.ihfft(z).abs()
        return self.out(torch.cat([spec / 10, back], 1)).squeeze(1)


mixer = BlockMixer()
head = SpectralHead(12)
params = list(mixer.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=0.01)
x = torch.randn(8, 8)
target = torch.randn(8)

for step in range(4):
    pred = head(mixer(x))
    loss = ((pred - target) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.4f}")
