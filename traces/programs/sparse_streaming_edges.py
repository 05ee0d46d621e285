"""A GCN over a streaming graph whose adjacency grows by sparse edge
batches, some of them empty, trained by SGD with momentum.

Each step's adjacency is a sum of sparse COO tensors: a fixed base graph
with learnable edge weights, plus the edge batches that have arrived so far,
accumulated in a running sparse tensor that starts with no entries. Adding
a sparse tensor without entries is PyTorch's shortcut of `add`: `s + empty`
copies `s`'s parts (its strides kept when dense, its coalesced flag), and
`empty + s` (`torch.add(empty, s, alpha=2.0)` of an empty edge batch too)
copies `s`'s indices contiguous and scales its values by alpha. The sum is made dense
(`to_dense`, ToDenseBackward0 with the gradient masked to the coalesced
pattern); AddBackward0 passes the sparse gradient to the base graph's
constructor (SparseCooTensorWithDimsAndTensorsBackward0). A hybrid edge
feature tensor (one sparse, one dense dimension) goes through the same
shortcuts.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
n, features, hidden, classes = 8, 4, 5, 2
base_edges = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 0, 3], [1, 2, 3, 4, 5, 6, 7, 4, 7]])
batches = [
    torch.tensor([[1, 5], [6, 2]]),
    torch.zeros(2, 0, dtype=torch.long),
    torch.tensor([[7, 2, 7], [0, 5, 0]]),
]


def empty_graph():
    return torch.sparse_coo_tensor(torch.zeros(2, 0, dtype=torch.long), torch.zeros(0), (n, n))


class StreamingGCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.base_logits = nn.Parameter(torch.zeros(base_edges.shape[1]))
        self.edge_feat = nn.Parameter(torch.randn(base_edges.shape[1], 2) * 0.2)
        self.lin1 = nn.Linear(features + 2, hidden)
        self.lin2 = nn.Linear(hidden, classes)

    def forward(self, x, arrived):
        base = torch.sparse_coo_tensor(base_edges, torch.sigmoid(self.base_logits), (n, n))
        adj = (base + arrived).to_dense() + torch.eye(n)
        adj = adj + adj.t()
        feats = torch.sparse_coo_tensor(base_edges[:1], self.edge_feat, (n, 2))
        no_feats = torch.sparse_coo_tensor(torch.zeros(1, 0, dtype=torch.long), torch.zeros(0, 2), (n, 2))
        edge_in = (feats + no_feats).to_dense() + 0.5 * (no_feats + feats).to_dense()
        deg = adj.sum(1, keepdim=True)
        h = F.relu(self.lin1(adj @ torch.cat([x, edge_in], 1) / deg))
        return F.log_softmax(self.lin2(adj @ h / deg), dim=1)


x = torch.randn(n, features)
labels = torch.randint(0, classes, (n,))
model = StreamingGCN()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
arrived = empty_graph()
for step, batch in enumerate(batches):
    weights = torch.full((batch.shape[1],), 0.5)
    incoming = torch.sparse_coo_tensor(batch, weights, (n, n))
    arrived = arrived + incoming if step % 2 == 0 else torch.add(incoming, arrived, alpha=2.0)
    loss = F.nll_loss(model(x, arrived), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, arrived._nnz(), round(loss.item(), 6))
print(model.base_logits.tolist())
