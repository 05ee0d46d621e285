"""Weight normalisation in a temporal convolutional network.

`parametrizations.weight_norm` recomputes `w = g * v / ||v||` on every
access, the norm taken over every dim but `dim`. For the first dim (the
causal dilated Conv1d blocks) and the last dim (the Linear head, dim=1)
`_weight_norm` dispatches the fused `_weight_norm_interface` and its
backward; for a middle dim (the input Conv1d, dim=1 of a 3-d weight) it
composes `norm_except_dim` (transpose, contiguous, `norm` over a dim); with
dim=None (the output mixer) it scales by the norm of the whole weight
(`norm.Scalar`, NormBackward0). Trained with Adam and gradient clipping,
then evaluated under `no_grad` (the parametrization caches nothing).
"""

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parametrizations

torch.manual_seed(0)


class CausalBlock(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.pad = 2 * dilation
        self.conv = parametrizations.weight_norm(nn.Conv1d(channels, channels, 3, dilation=dilation))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(F.pad(x, (self.pad, 0)))) + x


class TCN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp = parametrizations.weight_norm(nn.Conv1d(2, 4, 1), dim=1)
        self.blocks = nn.Sequential(CausalBlock(4, 1), CausalBlock(4, 2))
        self.head = parametrizations.weight_norm(nn.Linear(4, 3), dim=1)
        self.mix = parametrizations.weight_norm(nn.Linear(3, 3, bias=False), dim=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.inp(x))
        return self.mix(self.head(h[:, :, -1]))


model = TCN()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.randn(2, 2, 6)
y = torch.tensor([0, 2])
for _ in range(2):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
model.eval()
with torch.no_grad():
    prediction = model(x).argmax(-1)
