"""A CNN with BatchNorm2d and AdaptiveAvgPool2d: one training step in train
mode (batch statistics, running-stat updates), then an eval-mode forward under
torch.no_grad (running statistics) and its predictions."""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

model = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1, bias=False),
    nn.BatchNorm2d(4),
    nn.ReLU(),
    nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False),
    nn.BatchNorm2d(8),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(8, 5),
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
images = torch.randn(4, 1, 8, 8)
labels = torch.randint(0, 5, (4,))

model.train()
optimizer.zero_grad()
loss = F.cross_entropy(model(images), labels)
loss.backward()
optimizer.step()

model.eval()
with torch.no_grad():
    logits = model(images)
    predictions = logits.argmax(dim=1)
