"""A small U-Net-style denoiser for thermal camera frames given in kelvin
(295-305 K, a few hundredths of a degree of detail), normalised by a learned
`nn.GroupNorm(1, C)` on the raw frames as an input normaliser, then
GroupNorm + SiLU blocks at 8x8 and at an odd 7x7 resolution after a strided
convolution, a transposed convolution back up with a skip connection, two
AdamW steps on an L1 loss, then a denoising pass in eval under no_grad.
GroupNorm over raw kelvin frames has a large common offset, so PyTorch's
float32 statistics (vectorised Welford moments) and its backward's lane
sums and fused steps are what the results depend on."""

import torch
import torch.nn as nn

torch.manual_seed(0)


def frames(n):
    base = 300.0 + 2.0 * torch.rand(n, 1, 1, 1)
    detail = 0.03 * torch.randn(n, 2, 8, 8)
    return base + detail


class Block(nn.Module):
    def __init__(self, c_in, c_out, groups):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.norm = nn.GroupNorm(groups, c_out)

    def forward(self, x):
        return nn.functional.silu(self.norm(self.conv(x)))


class ThermalDenoiser(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_norm = nn.GroupNorm(1, 2)
        self.enc = Block(2, 8, 4)
        self.down = nn.Conv2d(8, 16, 2, stride=1)
        self.mid_norm = nn.GroupNorm(8, 16, affine=False)
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=1)
        self.dec = Block(16, 8, 2)
        self.out = nn.Conv2d(8, 2, 1)

    def forward(self, raw):
        h = self.enc(self.input_norm(raw))
        m = nn.functional.silu(self.mid_norm(self.down(h)))
        u = self.up(m)
        return raw + self.out(self.dec(torch.cat([u, h], dim=1)))


model = ThermalDenoiser()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
for step in range(2):
    clean = frames(3)
    noisy = clean + 0.01 * torch.randn_like(clean)
    loss = nn.functional.l1_loss(model(noisy), clean)
    opt.zero_grad()
    loss.backward()
    opt.step()

model.eval()
with torch.no_grad():
    denoised = model(frames(1))
    print(f"{denoised.mean().item():.2f}")
