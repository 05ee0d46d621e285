"""Training that meets a NaN reading and skips the step, then retrieves with it.

Sensor windows go through a 1-D conv, `nn.GroupNorm` and a linear head;
one batch holds a missing reading stored as NaN. PyTorch lets the NaN through
the group statistics: that sample's groups get a NaN mean and a NaN `rstd`
(the variance's clamp at zero keeps NaN), the other samples' groups stay
finite, so only its outputs are NaN. The loop checks
`torch.isfinite(loss)` and skips the update, as training code does.
Embeddings of 30 windows (more than 25 rows, so `torch.cdist` takes the
matrix-product path `_euclidean_dist`, `sqrt(clamp_min(|a|^2 - 2ab + |b|^2, 0))`)
are compared with queries, one of them NaN: its row of distances is NaN, not
zero, and `nan_to_num` pushes it to the end of the ranking. The same holds in
float16 and bfloat16 group norm under `torch.inference_mode()`.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class SensorNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 6, 3, padding=1)
        self.norm = nn.GroupNorm(3, 6)
        self.head = nn.Linear(6, 4)

    def forward(self, x):
        h = F.silu(self.norm(self.conv(x)))
        return self.head(h.mean(-1))


net = SensorNet()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
batches = [torch.randn(4, 2, 8) for _ in range(3)]
batches[1][2, 0, 5] = float("nan")
targets = [torch.randn(4, 4) for _ in range(3)]
skipped = 0
for x, y in zip(batches, targets):
    loss = F.mse_loss(net(x), y)
    opt.zero_grad()
    if not torch.isfinite(loss):
        skipped += 1
        continue
    loss.backward()
    opt.step()
print("skipped", skipped, "last loss", round(loss.item(), 4))

net.eval()
with torch.no_grad():
    bank = net(torch.randn(30, 2, 8))
    queries = net(batches[1])
    print("nan rows", torch.isnan(queries).any(1).tolist())
    d = torch.cdist(queries, bank)
    print("nan distances", torch.isnan(d).sum(1).tolist())
    ranked = torch.nan_to_num(d, nan=float("inf")).argsort(1)[:, :3]
    print("nearest", ranked.tolist())

with torch.inference_mode():
    for dt in (torch.float16, torch.bfloat16):
        gn = nn.GroupNorm(2, 4).to(dt)
        x = torch.randn(3, 4, 5).to(dt)
        x[1, 3, 0] = float("nan")
        y = gn(x)
        print(dt, torch.isnan(y).flatten(1).sum(1).tolist(), y[0, 0, :3].float().tolist())
