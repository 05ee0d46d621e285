"""A graph convolutional network as pytorch/examples' GCN writes it: the
symmetrically normalised adjacency with self-loops as a sparse COO tensor
(torch.sparse_coo_tensor, coalesce) and each layer torch.sparse.mm(adj, XW);
then learnable edge weights, the COO values requiring grad, through adj @ x."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
n, features, hidden, classes = 10, 5, 8, 3
edges = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 5, 7]])
edges = torch.cat([edges, edges.flip(0)], 1)
loops = torch.arange(n).repeat(2, 1)
index = torch.cat([edges, loops], 1)
degree = torch.bincount(index[0], minlength=n).float()
weight = degree[index[0]].rsqrt() * degree[index[1]].rsqrt()
adj = torch.sparse_coo_tensor(index, weight, (n, n)).coalesce()


class GraphConv(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.linear = nn.Linear(d_in, d_out)

    def forward(self, x, adj):
        return torch.sparse.mm(adj, self.linear(x))


class GCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = GraphConv(features, hidden)
        self.conv2 = GraphConv(hidden, classes)

    def forward(self, x, adj):
        h = F.dropout(F.relu(self.conv1(x, adj)), 0.3, self.training)
        return F.log_softmax(self.conv2(h, adj), dim=1)


x = torch.randn(n, features)
labels = torch.randint(0, classes, (n,))
train = torch.tensor([0, 2, 4, 6, 8])
model = GCN()
opt = torch.optim.Adam(model.parameters(), lr=0.02, weight_decay=5e-4)
for epoch in range(4):
    model.train()
    out = model(x, adj)
    loss = F.nll_loss(out[train], labels[train])
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(epoch, round(loss.item(), 6))
model.eval()
with torch.no_grad():
    print((model(x, adj).argmax(1) == labels).float().mean().item())
# edge weights learnt: the COO values require grad (SparseCooTensorWithDimsAndTensorsBackward0)
edge_weight = weight.clone().requires_grad_()
learnt = torch.sparse_coo_tensor(index, edge_weight, (n, n))
smoothness = (learnt @ x).pow(2).sum()
smoothness.backward()
print(edge_weight.grad[:5].tolist())
