"""Twin of runtime/examples/native_cnn.rs: a small CNN (Conv2d, BatchNorm2d,
ReLU, MaxPool2d, Linear) classifying 6x6 images, trained three steps with
AdamW on CrossEntropyLoss, then evaluated (BatchNorm's running statistics)."""

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(3)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(3 * 3 * 3, 3)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.conv(x))))
        return self.fc(x.flatten(1))


torch.manual_seed(0)
model = Net()
x = torch.randn(4, 2, 6, 6)
y = torch.randint(0, 3, (4,))
opt = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.05, foreach=False)
loss_fn = nn.CrossEntropyLoss()
for step in range(3):
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
model.eval()
with torch.no_grad():
    pred = model(x).argmax(1)
