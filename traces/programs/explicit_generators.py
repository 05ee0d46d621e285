"""Seeded `torch.Generator` objects passed to sampling calls.

Reproducible pipelines keep their own generators apart from the global one:
a split of the dataset (`random_split(..., generator=g)`), a shuffling
`DataLoader(generator=g)`, augmentation drawn from a second generator
(`randint`, `rand`, `randn`, `bernoulli`, `normal_`, `uniform_` and
`exponential_` with `generator=`), initialisation from a third
(`nn.init.*(..., generator=g)`), and sampled generation with `multinomial`.
The global generator keeps running in between (dropout, `randn_like`).
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)
split_gen = torch.Generator().manual_seed(42)
aug_gen = torch.Generator().manual_seed(7)
init_gen = torch.Generator().manual_seed(123)

features = torch.randn(24, 6)
labels = torch.randint(0, 3, (24,))
train, held_out = random_split(TensorDataset(features, labels), [0.75, 0.25], generator=split_gen)
loader = DataLoader(train, batch_size=6, shuffle=True, generator=split_gen)

model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 3))
nn.init.kaiming_uniform_(model[0].weight, nonlinearity="relu", generator=init_gen)
nn.init.normal_(model[3].weight, std=0.05, generator=init_gen)
nn.init.trunc_normal_(model[3].bias, std=0.02, a=-0.04, b=0.04, generator=init_gen)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(2):
    for x, y in loader:
        # Augmentation from its own stream: feature dropout, a shift, noise.
        keep = torch.empty_like(x).bernoulli_(0.9, generator=aug_gen)
        shift = torch.randint(-1, 2, (x.shape[0], 1), generator=aug_gen).float()
        scale = torch.rand(x.shape[0], 1, generator=aug_gen) * 0.2 + 0.9
        noise = torch.randn(x.shape, generator=aug_gen) * 0.01
        jitter = torch.empty(x.shape[0], 1).uniform_(-0.1, 0.1, generator=aug_gen)
        wait = torch.empty(x.shape[0], 1).exponential_(2.0, generator=aug_gen)
        x = (x * keep + shift * 0.1) * scale + noise + jitter + 0.01 * wait
        x = x + 0.001 * torch.randn_like(x)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

model.eval()
sample_gen = torch.Generator().manual_seed(5)
with torch.no_grad():
    held_x = torch.stack([held_out[i][0] for i in range(len(held_out))])
    probs = F.softmax(model(held_x), dim=-1)
    drawn = torch.multinomial(probs, 2, replacement=True, generator=sample_gen)
    coin = torch.bernoulli(probs, generator=sample_gen)
    perm = torch.randperm(len(held_out), generator=sample_gen)
print(loss.item(), drawn.tolist(), coin.sum().item(), perm.tolist())
