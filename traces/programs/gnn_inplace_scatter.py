"""Message passing with in-place scatter reductions, as graph code without
a graph library writes it.

A GIN layer (`index_add_` of neighbour features), an attention layer whose
per-node softmax takes its maximum with an in-place
`scatter_reduce_(..., "amax")` into a buffer that requires grad, and a
readout that pools node states per graph with `index_reduce_` (mean
without the initial values, amax with them, prod on a learnable prior).
The in-place forms clone `self` first (ScatterReduceBackward0 /
IndexReduceBackward0 read the original) even when only the source
requires grad. Trained three Adam steps.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)
N, E, D = 10, 30, 8
src = torch.randint(0, N, (E,))
dst = torch.randint(0, N, (E,))
batch = torch.tensor([0] * 5 + [1] * 5)
x = torch.randn(N, 6)
y = torch.tensor([0, 1])


class GIN(nn.Module):
    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.eps = nn.Parameter(torch.zeros(1))
        self.mlp = nn.Sequential(nn.Linear(d_in, d_out), nn.ReLU(), nn.Linear(d_out, d_out))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        agg = torch.zeros_like(h).index_add_(0, dst, h[src])
        return self.mlp((1 + self.eps) * h + agg)


class EdgeAttention(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.score = nn.Linear(2 * d, 1)
        self.floor = nn.Parameter(torch.full((N,), -2.0))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        e = F.leaky_relu(self.score(torch.cat([h[src], h[dst]], 1)).squeeze(-1), 0.2)
        # Per-node maximum over incoming edges, in place into a learnable floor.
        emax = self.floor.clone()
        emax.scatter_reduce_(0, dst, e, reduce="amax", include_self=True)
        w = torch.exp(e - emax[dst])
        denom = torch.zeros(N).scatter_add_(0, dst, w)
        alpha = w / (denom[dst] + 1e-16)
        return torch.zeros_like(h).index_add_(0, dst, alpha.unsqueeze(-1) * h[src])


gin1, gin2, att = GIN(6, D), GIN(D, D), EdgeAttention(D)
prior = nn.Parameter(torch.ones(2, D))
head = nn.Linear(3 * D, 2)
params = [*gin1.parameters(), *gin2.parameters(), *att.parameters(), prior, *head.parameters()]
opt = torch.optim.Adam(params, lr=0.01)
for step in range(3):
    h = gin2(F.relu(gin1(x)))
    h = h + att(h)
    mean = torch.zeros(2, D).index_reduce_(0, batch, h, "mean", include_self=False)
    peak = torch.full((2, D), -1.0).index_reduce_(0, batch, h, "amax")
    scale = prior.clone().index_reduce_(0, batch, torch.sigmoid(h), "prod")
    loss = F.cross_entropy(head(torch.cat([mean, peak, scale], 1)), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5))
