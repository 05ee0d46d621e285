"""Vector norms in the order PyTorch's CPU norm kernel sums them.

A 2-norm whose elements are one contiguous run in memory (a whole dense
tensor, the rows of a contiguous one) sums float32 squares in eight lanes,
folds them, and finishes the elements after the last whole vector one by
one, the first four with rounded products and the rest fused; every other
1- or 2-norm (a column, a strided slice, float16) is one running sum in
memory order, split between threads for a single large result. A small
classifier with weight-normalised and L2-normalised (cosine) layers trains
with `clip_grad_norm_` (`_foreach_norm` over parameters of sizes with and
without a tail); then norms of rows, columns, a transposed matrix, a column
slice large enough for two thread parts, float64, bfloat16 and float16
tensors, and 1-norms.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parametrizations

torch.manual_seed(0)


class CosineClassifier(nn.Module):
    def __init__(self, dim_in=29, hidden=45, classes=7):
        super().__init__()
        self.body = parametrizations.weight_norm(nn.Linear(dim_in, hidden))
        self.proto = nn.Parameter(torch.randn(classes, hidden))
        self.scale = nn.Parameter(torch.tensor(10.0))

    def forward(self, x):
        h = F.relu(self.body(x))
        h = F.normalize(h, dim=-1)
        w = F.normalize(self.proto, dim=1)
        return self.scale * h @ w.t()


model = CosineClassifier()
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for step in range(3):
    x = torch.randn(11, 29)
    y = torch.randint(0, 7, (11,))
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
    opt.step()

with torch.no_grad():
    m = torch.randn(37, 53)
    rows = torch.linalg.vector_norm(m, dim=-1)
    cols = torch.linalg.vector_norm(m, dim=0)
    whole = m.norm()
    transposed = torch.linalg.vector_norm(m.t(), dim=0)
    big = torch.randn(200, 400)
    sliced = torch.linalg.vector_norm(big[:, :300])
    ones = torch.linalg.vector_norm(m, ord=1, dim=1)
    doubles = torch.linalg.vector_norm(torch.randn(5, 23, dtype=torch.float64), dim=1)
    brain = torch.linalg.vector_norm(torch.randn(3, 41).bfloat16(), dim=-1)
    halves = torch.linalg.vector_norm(torch.randn(3, 41).half(), dim=-1)
    dists = F.pairwise_distance(torch.randn(6, 19), torch.randn(6, 19))
print(loss.item(), total.item(), rows.sum().item(), cols.sum().item(), whole.item(),
      transposed.sum().item(), sliced.item(), ones.sum().item(), doubles.sum().item(),
      brain.float().sum().item(), halves.float().sum().item(), dists.sum().item())
