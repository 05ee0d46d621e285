"""A graph convolutional network's inference over graphs built inside
`torch.inference_mode()`, where a dispatch mode sees the sparse COO
composites whole.

A two-layer GCN (Kipf & Welling: `Â = D^-1/2 (A + I) D^-1/2`, propagation
by `torch.sparse.mm`) is trained three Adam steps on a small graph; its
adjacency is built once, outside inference mode, where the capture
records the composites' parts. Then, in inference mode (exit 5 before):

* unseen graphs arrive as edge lists and become sparse tensors with
  `torch.sparse_coo_tensor(indices, values, size)` and with the size
  inferred from the largest index (`sparse_coo_tensor.indices`: `min`/`max`
  over the entries, unrecorded);
* duplicate edges are merged by `coalesce()` (a second call returns the
  tensor itself);
* `torch.sparse.mm` propagates features (`_sparse_mm`: zeros of the dense
  operand's options, then `_sparse_addmm` with `beta=0`);
* `torch.sparse.sum` totals edge weights (`_sparse_sum`, also with a
  float64 `dtype`), the coalesced values summed;
* a sparse tensor with dense per-edge features (`dense_dim = 1`) is made
  dense for a report.

Every `x.to(device)` of the loop is a composite seen whole too.
"""

import torch
from torch import nn

torch.manual_seed(0)
device = torch.device("cpu")
NODES, FEATURES, HIDDEN, CLASSES = 6, 4, 5, 3


def normalized_adjacency(edges, nodes, sized=True):
    """`D^-1/2 (A + I) D^-1/2` of an undirected edge list, as a sparse tensor."""
    loops = torch.arange(nodes).repeat(2, 1)
    both = torch.cat([edges, edges.flip(0), loops], dim=1)
    weights = torch.ones(both.shape[1])
    if sized:
        a = torch.sparse_coo_tensor(both, weights, (nodes, nodes))
    else:
        a = torch.sparse_coo_tensor(both, weights)
    a = a.coalesce()
    degree = a.to_dense().sum(1)
    scale = degree.pow(-0.5)
    idx = a.indices()
    values = scale[idx[0]] * a.values() * scale[idx[1]]
    return torch.sparse_coo_tensor(idx, values, a.shape).coalesce()


class GCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(FEATURES, HIDDEN)
        self.l2 = nn.Linear(HIDDEN, CLASSES)

    def forward(self, adj, x):
        h = torch.relu(torch.sparse.mm(adj, self.l1(x)))
        return torch.sparse.mm(adj, self.l2(h))


edges = torch.tensor([[0, 1, 2, 3, 4, 0], [1, 2, 3, 4, 5, 5]])
adj = normalized_adjacency(edges, NODES)
features = torch.randn(NODES, FEATURES)
labels = torch.tensor([0, 1, 2, 0, 1, 2])
model = GCN().to(device)
opt = torch.optim.Adam(model.parameters(), lr=0.05)
for _ in range(3):
    loss = nn.functional.cross_entropy(model(adj, features), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()

model.eval()
with torch.inference_mode():
    # an unseen ring graph with a duplicated edge, size given
    ring = torch.tensor([[0, 1, 2, 3, 4, 5, 1], [1, 2, 3, 4, 5, 0, 2]]).to(device)
    a_ring = normalized_adjacency(ring, NODES)
    logits = model(a_ring, torch.randn(NODES, FEATURES).to(device))
    # a star graph, size inferred from the largest index
    star = torch.tensor([[0, 0, 0, 0, 0], [1, 2, 3, 4, 5]])
    a_star = normalized_adjacency(star, NODES, sized=False)
    star_logits = model(a_star, features)
    # raw edge weights with duplicates: coalesce merges them, once
    raw = torch.sparse_coo_tensor(ring, torch.rand(ring.shape[1]), (NODES, NODES))
    merged = raw.coalesce()
    assert merged.coalesce() is merged
    total = torch.sparse.sum(raw)
    total64 = torch.sparse.sum(merged, dtype=torch.float64)
    # per-edge feature vectors (dense_dim = 1), size inferred
    edge_features = torch.sparse_coo_tensor(ring, torch.randn(ring.shape[1], 2))
    report = edge_features.to_dense().sum(-1)
    print(
        "ring argmax", logits.argmax(1).tolist(),
        "star argmax", star_logits.argmax(1).tolist(),
        f"weights {total.item():.4f} {total64.item():.4f}",
        "edge report", tuple(report.shape),
    )
