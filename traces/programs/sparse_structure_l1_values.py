"""Graph structure learning: a GCN on a learned sparse adjacency whose edge
weights are kept sparse by an L1 penalty read from the coalesced adjacency's
`values()`, trained by Adam.

The adjacency is `sparse_coo_tensor(edges, softplus(w))` over an edge list
naming some edges twice, then `coalesce()`. Its `values()` (a view of the
coalesced values, ValuesBackward0) feed the L1 penalty and, with
`indices()` (not differentiable), a weighted degree by `index_add` for the
symmetric normalisation; `torch.sparse.mm` propagates the features. The
coalesced adjacency's gradient is the sum of two sparse gradients:
ValuesBackward0's (`indices`, a coalesced tensor built over them with the
gradient as values) and SparseAddmmBackward0's masked one, then
CoalesceBackward0 and SparseCooTensorWithDimsAndTensorsBackward0. A hybrid
adjacency of per-edge 2-vectors is read the same way. `_values()` of the
uncoalesced adjacency (not differentiable) is logged.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
n, features, hidden, classes = 9, 4, 6, 3
src = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 0, 2, 4, 1, 5])
dst = torch.tensor([1, 2, 3, 4, 5, 6, 7, 8, 4, 6, 8, 2, 6])
edge_index = torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])


class StructureGCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.edge_logits = nn.Parameter(torch.randn(edge_index.shape[1]) * 0.5)
        self.edge_vectors = nn.Parameter(torch.randn(edge_index.shape[1], 2) * 0.3)
        self.lin1 = nn.Linear(features, hidden)
        self.lin2 = nn.Linear(hidden, classes)

    def forward(self, x):
        weight = F.softplus(self.edge_logits)
        adj = torch.sparse_coo_tensor(edge_index, weight, (n, n)).coalesce()
        values, idx = adj.values(), adj.indices()
        deg = torch.zeros(n).index_add(0, idx[0], values) + 1.0
        scale = deg.pow(-0.5)
        h = torch.sparse.mm(adj, self.lin1(x) * scale.unsqueeze(1)) * scale.unsqueeze(1)
        h = F.relu(h)
        out = torch.sparse.mm(adj, self.lin2(h))
        vectors = torch.sparse_coo_tensor(edge_index, self.edge_vectors, (n, n, 2)).coalesce()
        penalty = values.abs().sum() + 0.1 * vectors.values().pow(2).sum()
        return F.log_softmax(out, dim=1), penalty


x = torch.randn(n, features)
labels = torch.randint(0, classes, (n,))
model = StructureGCN()
opt = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(3):
    logp, penalty = model(x)
    loss = F.nll_loss(logp, labels) + 0.01 * penalty
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 6))
raw = torch.sparse_coo_tensor(edge_index, F.softplus(model.edge_logits), (n, n))
print(raw._values().requires_grad, round(raw._values().sum().item(), 5))
