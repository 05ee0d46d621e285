"""Sparse COO tensors made from strided ones with `Tensor.to_sparse`, as a
graph network normalises a dense adjacency and a pruned layer keeps only
its masked weights.

`to_sparse()` (`_to_sparse`, ToSparseBackward1) of the symmetric-normalised
adjacency (entries in row-major order, coalesced, -0.0 not an entry) feeds
`torch.sparse.mm`; a magnitude-pruned weight matrix that requires grad is
made sparse every step, so its gradient comes back through
SparseAddmmBackward0 (masked to the pattern) and ToSparseBackward1
(`_to_dense`). Node features with a dense trailing dimension go through
`to_sparse(1)` and `to_sparse(dense_dim=1)` (`_to_sparse.sparse_dim`,
ToSparseBackward0: one index row whose strides PyTorch leaves as the
transposed rows'), a 3-d tensor through `to_sparse(2)` with one entry and
with several, and `to_dense(masked_grad=False)` sends its gradient through
`_to_sparse.sparse_dim`. Edge cases: an all-zero matrix, a 0-dim tensor,
float64, int64 and bool tensors, and `to_sparse(0)` of a matrix, which
PyTorch refuses (the program catches it)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
n, features, hidden, classes = 10, 5, 8, 3
edges = torch.randint(0, n, (2, 24))
adjacency = torch.zeros(n, n)
adjacency[edges[0], edges[1]] = 1.0
adjacency = ((adjacency + adjacency.t() + torch.eye(n)) > 0).float()
degree = adjacency.sum(1)
scale = degree.pow(-0.5)
a_hat = (scale.unsqueeze(1) * adjacency * scale.unsqueeze(0)).to_sparse()
x = torch.randn(n, features)
y = torch.randint(0, classes, (n,))


class PrunedGCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(features, hidden) * 0.5)
        self.w2 = nn.Parameter(torch.randn(hidden, classes) * 0.5)
        self.mix = nn.Parameter(torch.randn(hidden, hidden) * 0.3)

    def forward(self, a, h):
        h = F.relu(torch.sparse.mm(a, h @ self.w1))
        keep = (self.mix.abs() > 0.2).float()
        pruned = (self.mix * keep).to_sparse()
        h = h + torch.sparse.mm(pruned, h.t()).t()
        return F.log_softmax(torch.sparse.mm(a, h @ self.w2), dim=1)


model = PrunedGCN()
opt = torch.optim.Adam(model.parameters(), lr=0.02)
for step in range(3):
    opt.zero_grad()
    loss = F.nll_loss(model(a_hat, x), y)
    loss.backward()
    opt.step()

# Row-sparse features: one index row, dense trailing dimension.
rows = torch.randn(6, 4, requires_grad=True)
gate = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 1.0]).unsqueeze(1)
sparse_rows = (rows * gate).to_sparse(1)
also_rows = (rows * gate).to_sparse(dense_dim=1)
(sparse_rows.to_dense().pow(2).sum() + also_rows.to_dense(masked_grad=False).sum()).backward()

cube = torch.zeros(2, 3, 4)
cube[1, 2] = torch.arange(4.0)
single = cube.to_sparse(2)
cube[0, 1, 3] = -2.0
several = cube.to_sparse(2)
print(single._indices().stride(), several._indices().stride(), several.to_dense().sum().item())

print(torch.zeros(3, 3).to_sparse()._nnz(), torch.tensor(2.5).to_sparse()._values())
signed = torch.tensor([[0.0, -0.0], [float("nan"), 1.0]], dtype=torch.float64).to_sparse()
counts = torch.tensor([[0, 3], [5, 0]]).to_sparse()
flags = torch.tensor([[True, False, True]]).to_sparse()
print(signed._nnz(), counts._values(), flags._indices())
try:
    torch.randn(2, 2).to_sparse(0)
except RuntimeError as error:
    print("refused:", error)
