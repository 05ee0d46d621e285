"""A two-layer graph convolutional network (Kipf & Welling) on a small graph
with a dense normalised adjacency.

The adjacency is built from an edge list by `index_put_` into `zeros`,
self-loops added with `eye`, and normalised symmetrically
(`D^-1/2 (A + I) D^-1/2` through `sum`, `pow(-0.5)` and broadcast `mul`);
each layer is `adj @ linear(h)` (`mm`), ReLU and dropout between them,
`log_softmax` and `nll_loss` on the labelled nodes only (a slice), Adam
with weight decay; then an `eval()` accuracy on the unlabelled nodes under
`no_grad`. (`torch.sparse.mm` over a `sparse_coo_tensor` adjacency is
refused by the capture: a trace holds strided tensors only.)
"""

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(5)

N, FEATURES, HIDDEN, CLASSES = 8, 5, 6, 3
edges = torch.tensor([[0, 1, 1, 2, 2, 3, 4, 5, 5, 6, 6, 7, 3, 4], [1, 0, 2, 1, 3, 2, 5, 4, 6, 5, 7, 6, 4, 3]])
adj = torch.zeros(N, N)
adj[edges[0], edges[1]] = 1.0
adj = adj + torch.eye(N)
d_inv_sqrt = adj.sum(1).pow(-0.5)
adj = d_inv_sqrt[:, None] * adj * d_inv_sqrt[None, :]
features = torch.randn(N, FEATURES)
labels = torch.randint(0, CLASSES, (N,))


class GCN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Linear(FEATURES, HIDDEN)
        self.conv2 = nn.Linear(HIDDEN, CLASSES)

    def forward(self, x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        h = F.relu(a @ self.conv1(x))
        h = F.dropout(h, 0.5, self.training)
        return F.log_softmax(a @ self.conv2(h), dim=1)


model = GCN()
opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
for _ in range(3):
    opt.zero_grad()
    loss = F.nll_loss(model(features, adj)[:6], labels[:6])
    loss.backward()
    opt.step()
model.eval()
with torch.no_grad():
    accuracy = (model(features, adj).argmax(1)[6:] == labels[6:]).float().mean()
print(f"loss {loss.item():.4f} accuracy {accuracy.item():.2f}")
