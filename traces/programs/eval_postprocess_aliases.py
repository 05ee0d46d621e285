"""A detector's evaluation and export pass written with PyTorch's operator
aliases and conveniences, all inside `torch.inference_mode()`, where a
dispatch mode sees these CompositeImplicitAutograd operators whole.

A small box-regression head (linear layers over pooled features) is trained
two SGD steps on smooth-L1 plus cross entropy (outside inference mode the
aliases decompose before the mode and are not events). Evaluation then
post-processes predictions the way detection scripts without torchvision
ops do:

* box IoU by broadcasting with `torch.max(a, b)` / `torch.min(a, b)`
  (`max.other` / `min.other`, which are `maximum` / `minimum`), `clip`
  (Python numbers and tensor bounds, in place too), `multiply`, `divide`
  (with and without `rounding_mode`), `true_divide`, `subtract` with
  `alpha`, `absolute`, `negative`, `fix`, `arctan2` / `arccos`, and the
  named comparisons (`greater`, `greater_equal`, `less`, `less_equal`,
  `not_equal`);
* the one-argument `torch.where(mask)` (`nonzero(as_tuple=True)`),
  `nanmean` over per-class APs with empty classes as NaN, `float_power`
  (tensor and Python-number bases), `torch.cross` without a dimension;
* `narrow` and `chunk` of a normal tensor standardized in place before
  inference mode (both have ADInplaceOrView kernels in PyTorch, so their
  key chains start `ADInplaceOrView:kernel` and their results share the
  input's version counter), `narrow` with a tensor start;
* an export check: `model.half()`, `model.to(torch.bfloat16)` and back to
  float32 in inference mode. Each parameter's `.data` assignment asks
  `_has_compatible_shallow_copy_type` through the dispatcher (an op event
  the mode sees, on the parameter as it was), and a parameter given an
  inference tensor's data becomes an inference tensor.
"""

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)
FEATURES, CLASSES = 6, 3


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(FEATURES, 8), nn.ReLU())
        self.boxes = nn.Linear(8, 4)
        self.logits = nn.Linear(8, CLASSES)

    def forward(self, x):
        h = self.body(x)
        return self.boxes(h), self.logits(h)


def to_corners(raw):
    centre, size = raw[:, :2].sigmoid(), raw[:, 2:].exp()
    half = torch.multiply(size, 0.5)
    return torch.cat([torch.subtract(centre, half), centre + half], dim=1).clip(0.0, 1.0)


def box_iou(a, b):
    area_a = torch.multiply(a[:, 2] - a[:, 0], a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    top_left = torch.max(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.min(a[:, None, 2:], b[None, :, 2:])
    wh = torch.clip(bottom_right - top_left, min=0)
    inter = wh[..., 0] * wh[..., 1]
    return torch.true_divide(inter, area_a[:, None] + area_b - inter)


model = Head()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(2):
    x = torch.randn(8, FEATURES)
    target_boxes, labels = torch.rand(8, 4), torch.randint(0, CLASSES, (8,))
    raw, logits = model(x)
    loss = F.smooth_l1_loss(raw, target_boxes) + F.cross_entropy(logits, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()

model.eval()
features = torch.randn(10, FEATURES)  # a normal tensor, made before inference mode
features.sub_(features.mean(0)).div_(features.std(0))  # standardized in place: version 2
ground_truth = torch.tensor([[0.1, 0.1, 0.5, 0.6], [0.4, 0.3, 0.9, 0.8], [0.0, 0.5, 0.3, 1.0]])
gt_labels = torch.tensor([0, 2, 2])
with torch.inference_mode():
    raw, logits = model(features)
    boxes = to_corners(raw)
    scores, classes = logits.softmax(-1).max(-1)
    ious = box_iou(boxes, ground_truth)
    best, match = ious.max(dim=1)
    hit = torch.greater(best, 0.05) & torch.not_equal(classes, 3)
    rows, cols = torch.where(ious.greater_equal(0.1))
    tp = hit & torch.eq(classes, gt_labels[match])
    ap = torch.full((CLASSES,), float("nan"))
    for c in range(CLASSES):
        sel = classes == c
        if sel.any():
            ap[c] = tp[sel].float().mean()
    mean_ap = torch.nanmean(ap)
    # Box statistics with the other spellings.
    widths = torch.subtract(boxes[:, 2], boxes[:, 0], alpha=1.0)
    aspect = torch.divide(widths, boxes[:, 3] - boxes[:, 1] + 1e-3)
    bins = torch.divide(torch.multiply(aspect, 4), 1, rounding_mode="floor")
    steps = torch.fix(torch.negative(aspect) * 3).absolute()
    angle = torch.arctan2(raw[:, 1], raw[:, 0]) + torch.arccos(boxes[:, 0].clip(-1, 1))
    small = torch.less(widths, 0.2).sum() + torch.less_equal(widths, 0.5).sum()
    spread = torch.float_power(widths, 2).sum() + torch.float_power(2, steps).sum()
    normals = torch.cross(raw[:3, :3].t(), raw[3:6, :3].t())
    clipped = raw.clone().clip_(min=torch.zeros(4), max=torch.ones(4))
    # Slices of the normal input tensor: narrow and chunk have
    # ADInplaceOrView kernels.
    head = features.narrow(0, 0, 4)
    tail = features.narrow(1, torch.tensor(-2), 2)
    thirds = features.chunk(3, dim=0)
    summary = (
        head.sum() + tail.sum() + sum(t.mean() for t in thirds)
        + bins.sum() + angle.sum() + small + spread + normals.sum() + clipped.sum()
    )
    # Export check: half precision, bfloat16, back to float32.
    model.half()
    half_logits = model(features.half())[1]
    model.to(torch.bfloat16)
    bf16_logits = model(features.to(torch.bfloat16))[1]
    model.float()
    agree = (half_logits.argmax(1) == bf16_logits.argmax(1)).float().mean()
    print(
        f"mAP {mean_ap.item():.3f} matches {rows.numel()} agree {agree.item():.2f} "
        f"params inference {next(model.parameters()).is_inference()} summary {summary.item():.3f}"
    )
