"""A GCN's sparse adjacency built with sparse_coo_tensor: unsupported (a
trace holds strided tensors only)."""
import torch

edges = torch.tensor([[0, 1, 2], [1, 2, 0]])
adj = torch.sparse_coo_tensor(edges, torch.ones(3), (3, 3))
x = torch.randn(3, 2, requires_grad=True)
torch.sparse.mm(adj, x).sum().backward()
