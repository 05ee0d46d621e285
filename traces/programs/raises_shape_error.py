"""A training step that ends with a shape error: two SGD steps of a small
MLP, then a batch with the wrong number of features reaches the first
Linear layer and addmm raises "mat1 and mat2 shapes cannot be multiplied".
The program does not catch it: the capture ends with program_error (exit 3).

# capture-exit: 3
"""

import torch
from torch import nn

torch.manual_seed(0)

model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.CrossEntropyLoss()

for step in range(2):
    x = torch.randn(3, 4)
    target = torch.tensor([0, 1, 1])
    optimizer.zero_grad()
    loss = loss_fn(model(x), target)
    loss.backward()
    optimizer.step()

# A batch built with the wrong feature count: (3, 5) against Linear(4, 8).
bad = torch.randn(3, 5)
loss = loss_fn(model(bad), torch.tensor([0, 1, 0]))
loss.backward()
