"""An MNIST-style nn.Sequential CNN (Conv2d, ReLU, MaxPool2d, Dropout, Flatten, Linear, LogSoftmax) trained with SGD: momentum, nesterov, weight decay."""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(4)

model = nn.Sequential(
    nn.Conv2d(1, 2, 3),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(2, 3, 3),
    nn.ReLU(),
    nn.Dropout(0.25),
    nn.Flatten(),
    nn.Linear(3 * 2 * 2, 8),
    nn.ReLU(),
    nn.Linear(8, 10),
    nn.LogSoftmax(dim=1),
)
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
x = torch.rand(4, 1, 10, 10)
y = torch.tensor([1, 7, 3, 0])
for step in range(2):
    opt.zero_grad()
    loss = F.nll_loss(model(x), y)
    loss.backward()
    opt.step()
    print("step", step, "done")
