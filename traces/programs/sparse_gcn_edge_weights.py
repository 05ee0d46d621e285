"""A two-layer graph convolutional network on a sparse COO adjacency with
learnable edge weights, trained by Adam.

The adjacency is built from an edge list that names some edges twice
(uncoalesced) with softplus edge weights that require grad, then coalesced
(CoalesceBackward0, SparseCooTensorWithDimsAndTensorsBackward0). Each layer
aggregates with torch.sparse.addmm (a residual term scaled by beta, the
neighbourhood scaled by alpha) or torch.sparse.mm (`_sparse_addmm`,
SparseAddmmBackward0: the dense operand's gradient through the sparse
transpose, the edge weights' gradient masked to the adjacency's pattern);
a graph readout multiplies a dense matrix by the sparse adjacency
(`mm(dense, sparse)`, MmBackward0 giving the sparse operand a dense
gradient that the constructor's backward masks to the uncoalesced edge
list)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
n, features, hidden, classes = 12, 6, 8, 3
src = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 2, 4, 1, 3])
dst = torch.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 6, 9, 11, 2, 4])
loops = torch.arange(n)
rows = torch.cat([src, dst, loops])
cols = torch.cat([dst, src, loops])
edge_index = torch.stack([rows, cols])


class EdgeGCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.edge_logits = nn.Parameter(torch.zeros(edge_index.shape[1]))
        self.lin1 = nn.Linear(features, hidden)
        self.lin2 = nn.Linear(hidden, classes, bias=False)
        self.skip = nn.Linear(features, hidden, bias=False)
        self.readout = nn.Parameter(torch.randn(2, n) * 0.3)

    def adjacency(self):
        weight = F.softplus(self.edge_logits) * 0.5
        return torch.sparse_coo_tensor(edge_index, weight, (n, n))

    def forward(self, x):
        raw = self.adjacency()
        adj = raw.coalesce()
        h = torch.sparse.addmm(self.skip(x), adj, self.lin1(x), beta=0.5, alpha=1.5)
        h = F.relu(h)
        out = torch.sparse.mm(adj, self.lin2(h))
        pooled = torch.mm(self.readout, raw)
        return F.log_softmax(out, dim=1), pooled


x = torch.randn(n, features)
labels = torch.randint(0, classes, (n,))
model = EdgeGCN()
opt = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(3):
    logp, pooled = model(x)
    loss = F.nll_loss(logp, labels) + 0.01 * pooled.pow(2).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 6))
with torch.no_grad():
    logp, _ = model(x)
    print((logp.argmax(1) == labels).float().mean().item())
print(model.edge_logits[:6].tolist())
