"""The pytorch/examples MNIST recipe on a few random 28x28 images.

The examples' network shape (two convolutions, max pooling, two dropouts, two
linear layers, log_softmax + nll_loss), two epochs of one batch with
Adadelta and a StepLR schedule, then an evaluation pass under no_grad with a
summed loss, argmax(dim=1, keepdim=True) predictions and an accuracy count
via eq(target.view_as(pred)).sum().item().
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import StepLR

torch.manual_seed(3)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3, 1)
        self.conv2 = nn.Conv2d(2, 3, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(3 * 3 * 3, 8)
        self.fc2 = nn.Linear(8, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


images = torch.randn(3, 1, 10, 10)
labels = torch.randint(0, 10, (3,))
batches = [(images, labels)]  # one batch per epoch

model = Net()
optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)

for epoch in range(1, 3):
    model.train()
    for batch_idx, (data, target) in enumerate(batches):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch} batch {batch_idx} done")
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for data, target in batches:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    print(f"test loss {test_loss / len(images):.4f}, accuracy {correct}/{len(images)}")
    scheduler.step()
