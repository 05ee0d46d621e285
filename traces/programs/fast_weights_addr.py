"""Rank-one updates with `torch.addr`, as fast-weight and linear-attention
recurrences write them.

A fast-weights RNN (Ba et al., 2016) on one sequence: its fast memory
`A = torch.addr(A, h, h, beta=0.9, alpha=0.5)` (decay and Hebbian outer
product), the hidden state through the slow weights plus `A @ h`, 40 hidden
units (a float32 row is one vectorised chunk of 32 plus 8 more; PyTorch's
CPU kernel fuses the last multiply-add differently in each). A
linear-attention state `S = torch.addr(S, elu(k) + 1, v)` with the default
`beta = alpha = 1`, read out by `S.t() @ q`; a bias row broadcast as `self`
(`torch.addr(bias, u, w)` of a `[m]` bias) and `beta=0` (self ignored).
AddrBackward0: `grad * beta`, `mv(grad, vec2) * alpha`, `mv(grad.t(),
vec1) * alpha`, each product by 1 skipped. Three Adam steps, then a float64
copy of the fast-weight cell with 20 units (16 + 4) and an int64
co-occurrence count of token pairs (`addr` of one-hot rows, exact).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(18)
H, X, T = 40, 6, 5


class FastWeights(nn.Module):
    def __init__(self, hidden: int, inputs: int) -> None:
        super().__init__()
        self.w = nn.Linear(hidden, hidden, bias=False)
        self.c = nn.Linear(inputs, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.q = nn.Linear(hidden, 8)
        self.k = nn.Linear(hidden, 8)
        self.v = nn.Linear(hidden, 8)
        self.bias = nn.Parameter(torch.zeros(8))
        self.u = nn.Parameter(torch.randn(3) * 0.1)
        self.head = nn.Linear(8, 3)

    def forward(self, xs: torch.Tensor) -> torch.Tensor:
        hidden = self.w.in_features
        h = xs.new_zeros(hidden)
        a = xs.new_zeros(hidden, hidden)
        s = xs.new_zeros(8, 8)
        for x in xs:
            pre = self.w(h) + self.c(x)
            h = torch.tanh(self.norm(pre + a @ torch.tanh(pre)))
            a = torch.addr(a, h, h, beta=0.9, alpha=0.5)
            s = torch.addr(s, F.elu(self.k(h)) + 1, self.v(h))
        read = s.t() @ self.q(h)
        mix = torch.addr(self.bias, self.u, read)
        only = torch.addr(torch.full((3, 8), float("nan")), self.u, read, beta=0)
        return self.head(read) + mix.sum(1) + only.mean(1)


model = FastWeights(H, X)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for _ in range(3):
    xs = torch.randn(T, X)
    target = torch.randn(3)
    loss = F.mse_loss(model(xs), target)
    opt.zero_grad()
    loss.backward()
    opt.step()

cell = FastWeights(20, X).double()
out = cell(torch.randn(T, X, dtype=torch.float64))
out.pow(2).sum().backward()

tokens = torch.randint(0, 5, (6,))
counts = torch.zeros(5, 5, dtype=torch.long)
for left, right in zip(tokens[:-1], tokens[1:]):
    counts = torch.addr(counts, F.one_hot(left, 5), F.one_hot(right, 5), alpha=2)
print(f"loss {loss.item():.4f} pairs {int(counts.sum())}")
