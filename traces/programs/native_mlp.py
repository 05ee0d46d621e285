"""Twin of runtime/examples/native_mlp.rs: an MLP regressor (Linear, ReLU,
Dropout, Tanh) trained three steps with SGD (momentum, nesterov, weight
decay) on MSELoss, then evaluated."""

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(
    nn.Linear(6, 16),
    nn.ReLU(),
    nn.Dropout(0.25),
    nn.Linear(16, 8),
    nn.Tanh(),
    nn.Linear(8, 1),
)
x = torch.randn(12, 6)
y = torch.randn(12, 1)
opt = torch.optim.SGD(
    model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3, foreach=False
)
loss_fn = nn.MSELoss()
for step in range(3):
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
model.eval()
with torch.no_grad():
    pred = model(x)
