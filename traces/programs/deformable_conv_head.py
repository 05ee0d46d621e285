"""A small CNN with deformable convolutions (torchvision.ops.DeformConv2d),
trained three SGD steps, as DCN-style detectors build their heads.

* a stem (3x3 conv, ReLU) on a batch of 4 images (torchvision's kernel
  runs them in two blocks of two images, so the weight gradient is
  accumulated over blocks);
* a DCNv2 block: offsets from a regular 3x3 conv (scaled by 4 so many
  samples fall between pixels and off the map) and a modulation mask from
  another conv through `sigmoid`; `DeformConv2d(8, 8, 3, padding=1,
  groups=2)` with bias, two offset groups (`torchvision::deform_conv2d`
  with `use_mask=True`);
* a DCNv1 block: `DeformConv2d(8, 6, 3, stride=2, padding=2, dilation=2,
  bias=False)` with one offset group and no mask (`use_mask=False`, the
  zero bias and empty mask torchvision passes);
* global average pooling, a linear classifier and `cross_entropy`; three
  SGD steps (momentum 0.9). Backward runs torchvision's Python-registered
  autograd node (`GeneratedBackwardFor_torchvision_deform_conv2d_
  defaultBackward`) and `torchvision::_deform_conv2d_backward` (gradients
  of input, weight, offset, mask and bias);
* then a float64 functional call with integer and large offsets under
  `no_grad`.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import DeformConv2d, deform_conv2d

torch.manual_seed(0)


class DeformableHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.offset2 = nn.Conv2d(8, 2 * 2 * 9, 3, padding=1)
        self.mask2 = nn.Conv2d(8, 2 * 9, 3, padding=1)
        self.dcn2 = DeformConv2d(8, 8, 3, padding=1, groups=2)
        self.offset1 = nn.Conv2d(8, 2 * 9, 3, stride=2, padding=1)
        self.dcn1 = DeformConv2d(8, 6, 3, stride=2, padding=2, dilation=2, bias=False)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        x = F.relu(self.stem(x))
        offset = self.offset2(x) * 4
        mask = torch.sigmoid(self.mask2(x))
        x = F.relu(self.dcn2(x, offset, mask))
        x = F.relu(self.dcn1(x, self.offset1(x) * 3))
        return self.fc(x.mean((2, 3)))


model = DeformableHead()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
images = torch.randn(4, 3, 10, 10)
labels = torch.tensor([0, 2, 1, 2])
for _ in range(3):
    opt.zero_grad()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    opt.step()

with torch.no_grad():
    x = torch.randn(3, 4, 6, 7, dtype=torch.float64)
    weight = torch.randn(4, 2, 2, 3, dtype=torch.float64)
    offset = torch.randint(-4, 5, (3, 2 * 2 * 6, 5, 7)).double() + torch.rand(3, 24, 5, 7).double().round()
    offset[:, ::5] *= 9.5
    mask = torch.rand(3, 2 * 6, 5, 7, dtype=torch.float64)
    out = deform_conv2d(x, offset, weight, torch.randn(4, dtype=torch.float64), padding=(0, 1), mask=mask)
    print(out.sum().item())
