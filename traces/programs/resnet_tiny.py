"""A tiny ResNet trained as the ImageNet example trains it.

BasicBlocks of conv3x3 (bias=False) + BatchNorm2d + ReLU(inplace=True) with
an in-place residual add (`out += identity`) and a 1x1 stride-2 conv +
BatchNorm2d downsample; kaiming_normal_ conv init and constant batch norm
init; AdaptiveAvgPool2d((1, 1)) + flatten + Linear; CrossEntropyLoss and SGD
with momentum, weight decay and Nesterov. One step at batch size 2, one at
batch size 1 (batch norm statistics over the spatial dims only), then
model.eval() under torch.no_grad with top-k predictions.
"""

import torch
from torch import nn

torch.manual_seed(0)


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = conv3x3(cin, cout, stride)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, num_classes=3):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = BasicBlock(4, 4)
        self.layer2 = BasicBlock(4, 8, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


model = ResNet()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(
    model.parameters(), 0.1, momentum=0.9, weight_decay=1e-4, nesterov=True
)
model.train()
for step in range(1):
    images = torch.randn(2, 3, 4, 4)
    target = torch.randint(0, 3, (2,))
    output = model(images)
    loss = criterion(output, target)
    acc1 = (output.argmax(1) == target).float().mean() * 100.0
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

single = torch.randn(1, 3, 4, 4)
loss = criterion(model(single), torch.tensor([1]))
optimizer.zero_grad()
loss.backward()
optimizer.step()

model.eval()
with torch.no_grad():
    output = model(torch.randn(2, 3, 4, 4))
    _, pred = output.topk(2, 1, True, True)
    correct = pred.t().eq(torch.tensor([0, 2]).view(1, -1).expand_as(pred.t()))
