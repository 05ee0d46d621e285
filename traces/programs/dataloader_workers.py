"""A training loop fed by DataLoader worker processes: a map-style Dataset computing samples in the workers (num_workers=2, a seeded shuffling generator), batches arriving through shared memory, persistent workers for the second epoch."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset


class Points(Dataset):
    """Samples made in the worker processes: their values reach the training loop only as finished batches."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        x = torch.linspace(-1.0, 1.0, 5) * (i + 1) / self.n
        return x, i % 3


torch.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch, persistent in enumerate((False, True)):
    g = torch.Generator()
    g.manual_seed(epoch)
    loader = DataLoader(Points(12), batch_size=4, shuffle=True, generator=g, num_workers=2, persistent_workers=persistent)
    for x, y in loader:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
print(f"loss {loss.item():.4f}")
