"""Continuously differentiable ELU (Barron's CELU) as autoencoder and
tabular code uses it: a denoising autoencoder whose encoder uses
`nn.CELU(alpha=0.5)` (`celu`, CeluBackward0: `elu_backward` with
`input_scale = 1 / alpha` taken in float, `is_result=False`) and
`nn.CELU(1.3, inplace=True)` after a Linear (`celu_`, CeluBackward1 from
the result), a decoder with the integer `alpha` of `F.celu(h, 2)`, trained
three Adam steps on a reconstruction loss; an eval pass; float64 CELU with a
small `alpha` and its gradient; a channels-last conv map through `celu_`;
and PyTorch's refusal of `alpha=0` (caught), after which training goes on."""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(5)


class DenoisingAutoencoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc1 = nn.Linear(12, 8)
        self.act1 = nn.CELU(alpha=0.5)
        self.enc2 = nn.Linear(8, 4)
        self.act2 = nn.CELU(1.3, inplace=True)
        self.dec1 = nn.Linear(4, 8)
        self.dec2 = nn.Linear(8, 12)

    def forward(self, x):
        code = self.act2(self.enc2(self.act1(self.enc1(x))))
        return self.dec2(F.celu(self.dec1(code), 2)), code


model = DenoisingAutoencoder()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
clean = torch.randn(16, 12)
for step in range(3):
    noisy = clean + 0.1 * torch.randn_like(clean)
    recon, code = model(noisy)
    loss = F.mse_loss(recon, clean) + 1e-3 * code.abs().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 6))

model.eval()
with torch.no_grad():
    recon, _ = model(clean)
    print(round(F.mse_loss(recon, clean).item(), 6))
model.train()

# float64 with a small alpha: exp(x / alpha) saturates quickly
x = torch.linspace(-3, 1, 9, dtype=torch.float64, requires_grad=True)
y = F.celu(x, alpha=0.1)
(y * torch.arange(9.0, dtype=torch.float64)).sum().backward()
print(x.grad.tolist())

# a channels-last feature map activated in place
conv = nn.Conv2d(3, 4, 3, padding=1).to(memory_format=torch.channels_last)
img = torch.randn(2, 3, 5, 5).to(memory_format=torch.channels_last)
feat = F.celu(conv(img), alpha=0.75, inplace=True)
print(feat.is_contiguous(memory_format=torch.channels_last))
feat.pow(2).mean().backward()
print(conv.weight.grad.abs().sum().item())

try:
    F.celu(clean, alpha=0.0)
except RuntimeError as error:
    print("refused:", str(error).splitlines()[0])

recon, code = model(clean)
F.mse_loss(recon, clean).backward()
opt.step()
print(model.enc1.weight.grad.norm().item())
