"""DataLoader worker processes started with a given method (argv[1])."""
import sys

import torch
from torch.utils.data import DataLoader, Dataset


class Squares(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return torch.full((2,), float(i * i)), i


if __name__ == "__main__":
    w = torch.ones(2, requires_grad=True)
    g = torch.Generator()
    g.manual_seed(1)
    loader = DataLoader(Squares(), batch_size=3, shuffle=True, generator=g, num_workers=2, multiprocessing_context=sys.argv[1])
    for x, y in loader:
        (x * w).sum().backward()
