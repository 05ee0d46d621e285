"""Orthogonal maps built from fewer Householder reflectors than the frame
has columns, as low-rank orthogonal adapters and structured-rotation layers
write them: `torch.linalg.householder_product(V, tau)` with a learned
`V` (`tril(-1)` plus the unit diagonal) and `k < n` scales
`tau = 2 / |v|^2`, so the product applies `k` reflectors to the identity's first
columns (LinalgHouseholderProductBackward0: the gradient of the columns no
reflector touches is `zeros(..., pin_memory=None)` concatenated after the
`k` reflector gradients). A rotation layer trained three Adam steps on a
regression target, a batch of two frames with two reflectors each, and a
float64 tall frame (6x4, three reflectors); then the orthogonality error."""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(11)


class PartialRotation(nn.Module):
    def __init__(self, n: int, k: int) -> None:
        super().__init__()
        self.v = nn.Parameter(torch.randn(n, n) * 0.3)
        self.k = k

    def forward(self, x):
        reflectors = self.v.tril(-1) + torch.eye(self.v.shape[0])
        # tau = 2 / |v|^2 makes each reflector exactly orthogonal
        tau = 2.0 / reflectors[:, : self.k].pow(2).sum(0)
        q = torch.linalg.householder_product(reflectors, tau)
        return x @ q.t(), q


layer = PartialRotation(5, 3)
head = nn.Linear(5, 2)
opt = torch.optim.Adam(list(layer.parameters()) + list(head.parameters()), lr=1e-2)
x = torch.randn(16, 5)
y = torch.randn(16, 2)
for step in range(3):
    rotated, q = layer(x)
    loss = F.mse_loss(head(rotated), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 6))
with torch.no_grad():
    _, q = layer(x)
    print("orthogonality", (q.t() @ q - torch.eye(5)).abs().max().item())

# a batch of two frames, two reflectors each
frames = torch.randn(2, 4, 4, requires_grad=True)
taus = torch.rand(2, 2, requires_grad=True)
qb = torch.linalg.householder_product(frames, taus)
(qb * torch.arange(16.0).view(4, 4)).sum().backward()
print(frames.grad.abs().sum().item(), taus.grad.tolist())

# float64, a tall frame: three reflectors, four columns
tall = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
tau3 = torch.rand(3, dtype=torch.float64, requires_grad=True)
qt = torch.linalg.householder_product(tall, tau3)
qt.pow(2).sum().backward()
print(tall.grad.abs().sum().item(), tau3.grad.tolist())
