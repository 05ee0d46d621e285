"""A dense adjacency converted with to_sparse, then torch.sparse.mm:
unsupported, refused at the conversion that returns the sparse tensor."""
import torch

adj = torch.eye(3) + torch.diag(torch.ones(2), 1)
x = torch.randn(3, 2, requires_grad=True)
torch.sparse.mm(adj.to_sparse(), x).sum().backward()
