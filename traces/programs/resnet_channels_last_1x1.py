"""A CIFAR-style ResNet built from torchvision's `BasicBlock` and trained
channels-last, down to a 1×1 map, as CPU training recipes run it.

Four stages of two `torchvision.models.resnet.BasicBlock`s (3×3
convolutions without bias, BatchNorm2d, in-place ReLU, the in-place
residual add; a `conv1x1` + BatchNorm2d downsample where the stride or
width changes) on 8×8, 3-channel images, so the last stage runs on a 1×1
map; Kaiming (fan_out) convolution init and zero-initialised residual
BatchNorms (`zero_init_residual`), adaptive average pooling, a linear head.
Model and batches are converted with `memory_format=torch.channels_last`.

On a 1×1 map the convolutions' NHWC results (strides (C, 1, C, C)) are
contiguous too, and the gradients reaching their BatchNorms from the
pooling's backward are plain contiguous: PyTorch's
`native_batch_norm_backward` then allocates `grad_input` in the format the
input suggests (NHWC strides), and with a gradient of the input's own
strides contiguous first; the next convolutions' backward read it so.

Three steps of SGD (Nesterov momentum 0.9, weight decay 5e-4) with a
`OneCycleLR` schedule on label-smoothed cross entropy, batches of 2; then
`eval()` accuracy under `no_grad` with `argmax`.
"""
# cpu-dependent-values: oneDNN picks its channels-last convolution kernels by the CPU's instruction set, whose float32 sums round their last bits differently, and BatchNorm over batches of 2 at the 1x1 stage scales an ulp of its input into a percent of its gradient

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock, conv1x1, conv3x3

torch.manual_seed(0)


def stage(cin, cout, stride):
    downsample = None
    if stride != 1 or cin != cout:
        downsample = nn.Sequential(conv1x1(cin, cout, stride), nn.BatchNorm2d(cout))
    return nn.Sequential(BasicBlock(cin, cout, stride, downsample), BasicBlock(cout, cout))


class CifarResNet(nn.Module):
    def __init__(self, widths=(8, 12, 16, 24), num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(conv3x3(3, widths[0]), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        stages, cin = [], widths[0]
        for i, w in enumerate(widths):
            stages.append(stage(cin, w, 1 if i == 0 else 2))
            cin = w
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        for m in self.modules():
            if isinstance(m, BasicBlock):
                nn.init.constant_(m.bn2.weight, 0)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1))


model = CifarResNet().to(memory_format=torch.channels_last)
steps = 3
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=steps)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
model.train()
for step in range(steps):
    images = torch.randn(2, 3, 8, 8).to(memory_format=torch.channels_last)
    labels = torch.randint(0, 10, (2,))
    loss = criterion(model(images), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    print(step, round(loss.item(), 4), sched.get_last_lr())

model.eval()
correct = 0
with torch.no_grad():
    images = torch.randn(4, 3, 8, 8).to(memory_format=torch.channels_last)
    labels = torch.randint(0, 10, (4,))
    logits = model(images)
    correct += (logits.argmax(dim=1) == labels).sum().item()
print("accuracy", correct / 4, F.softmax(logits, dim=1).max().item() > 0)
