"""A training loop fed by torch.utils.data: TensorDataset + DataLoader (shuffle, batches collated with stack), SGD with momentum, StepLR."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(5)
xs = torch.randn(10, 6)
ys = torch.randint(0, 3, (10,))
loader = DataLoader(TensorDataset(xs, ys), batch_size=4, shuffle=True)
model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
for epoch in range(2):
    model.train()
    for batch_idx, (data, target) in enumerate(loader):
        opt.zero_grad()
        loss = F.cross_entropy(model(data), target)
        loss.backward()
        opt.step()
    sched.step()
model.eval()
correct = 0
with torch.no_grad():
    for data, target in DataLoader(TensorDataset(xs, ys), batch_size=5):
        pred = model(data).argmax(dim=1, keepdim=True)
        correct += pred.eq(target.view_as(pred)).sum().item()
print(f"accuracy {100.0 * correct / len(xs):.0f}%")
