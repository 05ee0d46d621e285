"""Metric learning on pairwise distances as embedding and retrieval code
computes them: a contrastive loss over `torch.cdist(z, z)` of a batch large
enough (more than 25 rows) that cdist takes its matrix-product path
(`_euclidean_dist`: squared norms padded into one product, clamped, square
root), so each point's distance to itself cancels to a rounding residue;
Adam steps, then a no-grad k-nearest-neighbour lookup (`topk` of the
distances, smallest first) and a float64 cdist between two sets."""
# cpu-dependent-values: a point's distance to itself is exactly 0 on one CPU and a rounding residue of the matrix product on another; cdist's backward divides by it or masks it
import torch
from torch import nn

torch.manual_seed(0)

encoder = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 6))
opt = torch.optim.Adam(encoder.parameters(), lr=1e-3)
x = torch.randn(40, 8)
labels = torch.randint(0, 4, (40,))
same = (labels[:, None] == labels[None, :]).float()

for step in range(3):
    opt.zero_grad()
    z = encoder(x)
    d = torch.cdist(z, z)
    loss = (same * d.pow(2) + (1 - same) * torch.relu(1.0 - d).pow(2)).mean()
    loss.backward()
    opt.step()
    print("step", step, "contrastive loss", loss.item())

with torch.no_grad():
    z = encoder(x)
    neighbours = torch.cdist(z, z).topk(3, largest=False).indices
    print("nearest neighbours of the first rows", neighbours[:4, 1:].tolist())
    queries = torch.randn(30, 5, dtype=torch.float64)
    keys = torch.randn(28, 5, dtype=torch.float64)
    print("float64 distances", torch.cdist(queries, keys)[:2, :3].tolist())
