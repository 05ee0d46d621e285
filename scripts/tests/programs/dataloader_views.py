"""DataLoader workers sending views of one dataset tensor (batch_size=None): they share one storage."""
import torch
from torch.utils.data import DataLoader, TensorDataset
torch.manual_seed(0)
ds = TensorDataset(torch.randn(6, 3), torch.arange(6))
w = torch.randn(3, requires_grad=True)
for x, y in DataLoader(ds, batch_size=None, num_workers=2):
    (x * w).sum().backward()
