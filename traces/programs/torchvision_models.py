"""Small torchvision classifiers trained on tensor images, as transfer and
mobile-vision code builds them.

`import torchvision` (its build check at import runs without an event), then
two of its architectures through their public constructors, configured for
8×8-pixel, 3-channel images so they stay small:

* a ShuffleNetV2 with one unit per stage (`stages_out_channels` 8..64):
  stride-2 units with two depthwise-separable branches, channel split by
  `chunk` and channel shuffle by `view`/`transpose`/`contiguous`,
  BatchNorm, ReLU, global mean pooling;
* a MobileNetV3-small at a quarter of its width (`_mobilenet_v3_conf`),
  its first five inverted residuals: depthwise convolutions,
  squeeze-and-excitation (`adaptive_avg_pool2d`, 1×1 convolutions,
  `hardsigmoid`), `hardswish`, dropout in the classifier.

Each model trains two steps of SGD with momentum 0.9, Nesterov and
weight decay on a label-smoothed cross entropy, with tensor augmentation
from `torchvision.transforms` (`RandomHorizontalFlip`, `Normalize`) on
batches of 4; then an `eval()` forward under `no_grad` (running
statistics) and a `softmax` top-1.
"""

import torch
import torch.nn.functional as F
import torchvision
from torchvision import models, transforms

torch.manual_seed(0)
augment = transforms.Compose([
    transforms.RandomHorizontalFlip(),
    transforms.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]),
])


def batch(n=4, size=8):
    images = torch.stack([augment(torch.rand(3, size, size)) for _ in range(n)])
    labels = torch.randint(0, 4, (n,))
    return images, labels


def train(name, model):
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
    model.train()
    for step in range(2):
        images, labels = batch()
        loss = F.cross_entropy(model(images), labels, label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(name, step, round(loss.item(), 4))
    model.eval()
    with torch.no_grad():
        images, _ = batch(2)
        probs = model(images).softmax(dim=1)
        print(name, "top-1", probs.argmax(dim=1).tolist())


shufflenet = models.ShuffleNetV2(
    stages_repeats=[1, 1, 1],
    stages_out_channels=[8, 16, 32, 48, 64],
    num_classes=4,
)
train("shufflenet_v2", shufflenet)

settings, _ = models.mobilenetv3._mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.25)
mobilenet = models.mobilenetv3.MobileNetV3(settings[:5], last_channel=64, num_classes=4)
train("mobilenet_v3", mobilenet)
print("torchvision", torchvision.__version__.split("+")[0])
