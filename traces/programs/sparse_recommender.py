"""A recommender trained the way PyTorch's docs suggest for large tables:
user and item embeddings with sparse=True (their gradients are sparse COO
tensors) updated by SparseAdam, and a dense scoring MLP updated by Adam.

Pins SparseAdam's sparse step as torch 2.15 runs it: `coalesce` of each
gradient, `sparse_mask` of the moments by it, `_values`, the moment updates
as new sparse tensors (`_sparse_coo_tensor_with_dims_and_tensors`) added
into the dense moments entry by entry, and the parameter update added the
same way; two Embeddings' sparse gradients plus a one-column bias table."""

import torch
import torch.nn as nn

torch.manual_seed(0)
n_users, n_items, dim = 12, 20, 4


class Recommender(nn.Module):
    def __init__(self):
        super().__init__()
        self.users = nn.Embedding(n_users, dim, sparse=True)
        self.items = nn.Embedding(n_items, dim, sparse=True)
        self.item_bias = nn.Embedding(n_items, 1, sparse=True)
        self.mlp = nn.Sequential(nn.Linear(2 * dim, 8), nn.ReLU(), nn.Linear(8, 1))

    def forward(self, u, i):
        eu, ei = self.users(u), self.items(i)
        dot = (eu * ei).sum(-1)
        deep = self.mlp(torch.cat([eu, ei], -1)).squeeze(-1)
        return dot + deep + self.item_bias(i).squeeze(-1)


model = Recommender()
sparse_params = [model.users.weight, model.items.weight, model.item_bias.weight]
sparse_opt = torch.optim.SparseAdam(sparse_params, lr=0.05)
dense_opt = torch.optim.Adam(model.mlp.parameters(), lr=0.01)
users = torch.randint(0, n_users, (32,))
items = torch.randint(0, n_items, (32,))
ratings = torch.rand(32) * 4 + 1
for step in range(4):
    batch = slice(8 * step, 8 * step + 8)
    pred = model(users[batch], items[batch])
    loss = nn.functional.mse_loss(pred, ratings[batch])
    sparse_opt.zero_grad()
    dense_opt.zero_grad()
    loss.backward()
    sparse_opt.step()
    dense_opt.step()
    print(step, round(loss.item(), 6))
with torch.no_grad():
    print(model(users[:4], items[:4]).tolist())
