"""A small 3-d segmentation net trained in `memory_format=torch.channels_last_3d`.

Volumetric models (medical imaging, video) are moved to NDHWC the way 2-d
models go channels-last. PyTorch's CPU kernels then pick each result's
layout from the input's `suggest_memory_format()`, and this program pins
those choices:

* float32, a batch of two: `nn.Conv3d` (stride 1 and 2) and a grouped
  `nn.ConvTranspose3d` run on oneDNN and return NDHWC results and
  NDHWC input and weight gradients; `GroupNorm` over a 5-d map, the
  `replicate`/`reflect` 3-d pads and `trilinear` upsampling keep NDHWC;
  `MaxPool3d(return_indices=True, ceil_mode=True)` returns NDHWC values
  and indices (and an NDHWC input gradient) while `AvgPool3d`,
  `AdaptiveAvgPool3d` and `MaxUnpool3d` return contiguous results; the
  nearest 3-d upsampling's backward returns a contiguous gradient although
  the incoming gradient is NDHWC; the decoder's features are
  center-cropped (a non-dense NDHWC view, still NDHWC by the stride
  walk) before a max pooling; Dice + cross-entropy, two Adam steps;
* a float64 batch of one through the same net: PyTorch's slow 3-d
  convolution loops return contiguous results and gradients whatever the
  operand layout;
* a bfloat16 batch of one: the convolutions run on oneDNN (NDHWC), an
  adaptive average pooling sums and divides in bfloat16 step by step, and
  `F.avg_pool3d`, which has no bfloat16 CPU kernel, is refused (caught).
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

CL3D = torch.channels_last_3d


class Net(nn.Module):
    def __init__(self, classes: int = 3):
        super().__init__()
        self.enc = nn.Conv3d(2, 4, 3, padding=1, padding_mode="replicate")
        self.norm = nn.GroupNorm(2, 4)
        self.pool = nn.MaxPool3d(2, stride=2, ceil_mode=True, return_indices=True)
        self.unpool = nn.MaxUnpool3d(2, stride=2)
        self.down = nn.Conv3d(4, 4, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose3d(4, 4, 2, stride=2, groups=2)
        self.mix = nn.Conv3d(8, 4, 3)
        self.head = nn.Conv3d(4, classes, 1)
        self.ctx = nn.AdaptiveAvgPool3d((1, 2, 2))
        self.ctx_fc = nn.Linear(4 * 4, classes)

    def forward(self, x):
        e = F.relu(self.norm(self.enc(x)))  # N, 4, 4, 4, 4
        p, idx = self.pool(e)  # N, 4, 2, 2, 2
        e = e + 0.5 * self.unpool(p, idx, output_size=e.shape[-3:])
        d = F.relu(self.down(e))  # N, 4, 2, 2, 2
        u = self.up(d)  # N, 4, 4, 4, 4
        u = F.pad(u, (1, 1, 1, 1, 1, 1), mode="reflect")
        skip = F.pad(e, (1, 1, 1, 1, 1, 1), mode="replicate")
        h = F.relu(self.mix(torch.cat([u, skip], 1)))  # N, 4, 4, 4, 4
        crop = h[:, :, 1:-1, 1:-1, 1:-1]  # non-dense NDHWC view
        pooled = F.max_pool3d(crop, 2)
        up_near = F.interpolate(pooled, size=h.shape[-3:], mode="nearest")
        up_tri = F.interpolate(pooled, scale_factor=2.0, mode="trilinear", align_corners=False)
        up_tri = F.pad(up_tri, (1, 1, 1, 1, 1, 1), mode="replicate")
        avg = F.avg_pool3d(h, 3, stride=1, padding=1, count_include_pad=False)
        logits = self.head(h + up_near + up_tri + avg)
        context = self.ctx_fc(self.ctx(h).flatten(1))
        return logits + context[:, :, None, None, None]


def dice(logits, target, classes):
    prob = logits.softmax(1)
    onehot = F.one_hot(target, classes).permute(0, 4, 1, 2, 3).to(prob.dtype)
    inter = (prob * onehot).sum((0, 2, 3, 4))
    total = prob.sum((0, 2, 3, 4)) + onehot.sum((0, 2, 3, 4))
    return 1 - ((2 * inter + 1) / (total + 1)).mean()


def train(dtype, batch, steps):
    torch.manual_seed(1)
    net = Net().to(dtype=dtype, memory_format=CL3D)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x = torch.randn(batch, 2, 4, 4, 4, dtype=dtype).contiguous(memory_format=CL3D)
    y = torch.randint(0, 3, (batch, 4, 4, 4))
    for step in range(steps):
        logits = net(x)
        loss = F.cross_entropy(logits, y) + dice(logits, y, 3)
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(dtype, batch, step, round(loss.item(), 4), logits.is_contiguous(memory_format=CL3D))


train(torch.float32, 2, 2)
train(torch.float64, 1, 1)

# bfloat16: oneDNN convolutions in NDHWC, then the refused average pooling.
torch.manual_seed(2)
conv = nn.Conv3d(2, 4, 3, padding=1).to(dtype=torch.bfloat16, memory_format=CL3D)
vol = torch.randn(1, 2, 4, 4, 4, dtype=torch.bfloat16).contiguous(memory_format=CL3D)
feat = conv(vol)
clip = F.adaptive_avg_pool3d(feat, (3, 2, 3))
(feat.float().square().mean() + clip.float().sum()).backward()
print(feat.stride(), conv.weight.grad.stride())
try:
    F.avg_pool3d(feat.detach(), 2)
except NotImplementedError as err:
    print("refused:", err)
