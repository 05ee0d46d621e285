"""A small CNN trained two SGD steps, then evaluated on inputs scaled
towards float32's range, where sums overflow in one summation order only.

An untrained network's evaluation can get there on its own (torchvision's
MNASNet, EfficientNet, RegNetY and DenseNet after one optimizer step: the
running variances are still near their initial 1 while the activations they
normalise are not, and a few layers later activations reach ~1e38). Then a
convolution, matrix product or reduction whose terms' magnitudes add up
past 3.4e38 gives ±inf or NaN in an order whose partial sums overflow and a
finite result in another, and both are correct float arithmetic. PyTorch's
kernels add in float32 (oneDNN's blocked order, MKL, vectorised
reductions); the replay's values check excuses exactly those elements and
still holds finite results to the sum's rounding bound.

The evaluation runs the network on a batch scaled by 3e37 and a few sums
built to overflow left to right: `mm`, `addmm` (linear), `sum`, `mean`
a convolution whose channels cancel and a 3x3 convolution of
activations near 3e37.
"""

import torch
from torch import nn

torch.manual_seed(0)

model = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1),
    nn.BatchNorm2d(8),
    nn.ReLU(),
    nn.Conv2d(8, 8, 3, padding=1),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(8, 4),
)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
x = torch.randn(4, 3, 8, 8)
y = torch.tensor([0, 1, 2, 3])
for _ in range(2):
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()

model.eval()
with torch.no_grad():
    logits = model(x * 3e37)
    print("non-finite logits:", (~logits.isfinite()).sum().item())

    # 3e38 + 3e38 overflows before -3e38 can bring the sum back.
    row = torch.tensor([[3e38, 3e38, -3e38]])
    ones = torch.ones(3, 1)
    print(torch.mm(row, ones), nn.functional.linear(row, ones.t(), torch.zeros(1)))
    print(row.sum(), row.mean(dim=1))
    # Two channels of +1.5e38 and two of -1.5e38 summed by a 1x1 convolution.
    planes = torch.full((1, 4, 3, 3), 1.5e38) * torch.tensor([1.0, 1.0, -1.0, -1.0]).view(1, 4, 1, 1)
    print(nn.functional.conv2d(planes, torch.ones(1, 4, 1, 1)).flatten())
    # A 3x3 convolution of activations near 3e37: oneDNN's float32 partial
    # sums overflow at some outputs whose exact sum is finite.
    wide = torch.randn(2, 8, 6, 6) * 3e37
    out = nn.functional.conv2d(wide, torch.randn(4, 8, 3, 3), padding=1)
    print("non-finite conv outputs:", (~out.isfinite()).sum())
