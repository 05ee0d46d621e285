"""A tiny two-stage detector's second stage, trained and post-processed as
Faster R-CNN code does it with torchvision's detection operators.

A two-level convolutional backbone (strides 4 and 8, an FPN-style lateral
1×1 and top-down `interpolate` sum) feeds the RoI heads:

* proposals per image as a list of boxes (ground truth jittered, plus
  random boxes, some running off the image), matched to the ground truth
  with `box_iou` (IoU >= 0.5 foreground), regression targets encoded by
  `BoxCoder` (weights 10, 10, 5, 5);
* `MultiScaleRoIAlign` over both levels (`LevelMapper`'s `log2` of the box
  scale picks each box's level, `torch.where` splits them, one
  `torchvision::roi_align` per level with `sampling_ratio=2`, `aligned`
  false, the results written back by index), a `TwoMLPHead` and a
  `FastRCNNPredictor`;
* beside it a Fast R-CNN style context branch: `roi_align` with
  `aligned=True` and adaptive sampling (`sampling_ratio=-1`) on boxes
  given as a `[K, 5]` tensor, and `RoIPool` (`torchvision::roi_pool`,
  max pooling with int32 argmax) on the coarse level;
* losses as `fastrcnn_loss`: `cross_entropy` on the labels plus
  `smooth_l1_loss(beta=1/9, reduction="sum")` over the foreground
  boxes' class-specific deltas divided by the number of proposals;
  three SGD steps (momentum 0.9, weight decay 1e-4). Backward runs the
  Python-registered autograd nodes
  (`GeneratedBackwardFor_torchvision_roi_align_defaultBackward`,
  `..._roi_pool_defaultBackward`) and their `_roi_align_backward` /
  `_roi_pool_backward` kernels;
* inference under `no_grad` as `postprocess_detections`: `softmax`
  scores, decoded and clipped boxes, a score threshold,
  `remove_small_boxes`, `batched_nms` (`torchvision::nms` on class-offset
  boxes) and the top detections; plus a plain `nms` of the proposals.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.detection._utils import BoxCoder
from torchvision.ops import MultiScaleRoIAlign, RoIPool, batched_nms, box_iou, boxes as box_ops, nms, roi_align

torch.manual_seed(0)

IMAGE = 32
NUM_CLASSES = 3  # background + 2


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                                  nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU())
        self.down = nn.Sequential(nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU())
        self.lateral = nn.Conv2d(8, 8, 1)

    def forward(self, x):
        c2 = self.stem(x)
        p3 = self.down(c2)
        p2 = self.lateral(c2) + F.interpolate(p3, size=c2.shape[-2:], mode="nearest")
        return {"p2": p2, "p3": p3}


class RoIHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.pooler = MultiScaleRoIAlign(["p2", "p3"], output_size=4, sampling_ratio=2)
        self.fc6 = nn.Linear(8 * 4 * 4, 16)
        self.fc7 = nn.Linear(16, 16)
        self.context = RoIPool(2, spatial_scale=1 / 8)
        self.context_fc = nn.Linear(8 * 2 * 2 + 8 * 3 * 3, 16)
        self.cls_score = nn.Linear(16, NUM_CLASSES)
        self.bbox_pred = nn.Linear(16, NUM_CLASSES * 4)

    def forward(self, features, proposals, image_sizes):
        x = self.pooler(features, proposals, image_sizes)
        x = F.relu(self.fc6(x.flatten(1)))
        x = F.relu(self.fc7(x))
        rois = torch.cat([torch.cat([torch.full((len(p), 1), float(i)), p], 1)
                          for i, p in enumerate(proposals)])
        pooled = self.context(features["p3"], rois)
        aligned = roi_align(features["p2"], rois, output_size=3, spatial_scale=0.25,
                            sampling_ratio=-1, aligned=True)
        ctx = F.relu(self.context_fc(torch.cat([pooled.flatten(1), aligned.flatten(1)], 1)))
        x = x + ctx
        return self.cls_score(x), self.bbox_pred(x)


def make_targets():
    boxes, labels = [], []
    for _ in range(2):
        xy = torch.rand(2, 2) * 16
        wh = torch.rand(2, 2) * 10 + 6
        boxes.append(torch.cat([xy, xy + wh], 1))
        labels.append(torch.randint(1, NUM_CLASSES, (2,)))
    return boxes, labels


def make_proposals(gt_boxes):
    proposals = []
    for gt in gt_boxes:
        jitter = gt.repeat(3, 1) + torch.randn(6, 4) * 1.5
        xy = torch.rand(4, 2) * 30 - 2
        rand = torch.cat([xy, xy + torch.rand(4, 2) * 14 + 1], 1)
        proposals.append(torch.cat([gt, jitter, rand]))
    return proposals


def match(proposals, gt_boxes, gt_labels, coder):
    labels, targets = [], []
    for p, gt, gl in zip(proposals, gt_boxes, gt_labels):
        iou = box_iou(gt, p)
        best, idx = iou.max(dim=0)
        lab = gl[idx].clone()
        lab[best < 0.5] = 0
        labels.append(lab)
        targets.append(gt[idx])
    reg = coder.encode(targets, proposals)
    return torch.cat(labels), torch.cat(reg)


def fastrcnn_loss(class_logits, box_regression, labels, regression_targets):
    classification_loss = F.cross_entropy(class_logits, labels)
    pos = torch.where(labels > 0)[0]
    labels_pos = labels[pos]
    n = class_logits.shape[0]
    box_regression = box_regression.reshape(n, box_regression.size(-1) // 4, 4)
    box_loss = F.smooth_l1_loss(box_regression[pos, labels_pos], regression_targets[pos],
                                beta=1 / 9, reduction="sum")
    return classification_loss, box_loss / labels.numel()


backbone = Backbone()
heads = RoIHeads()
coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
params = list(backbone.parameters()) + list(heads.parameters())
opt = torch.optim.SGD(params, lr=0.02, momentum=0.9, weight_decay=1e-4)
image_sizes = [(IMAGE, IMAGE), (IMAGE, IMAGE)]

for step in range(3):
    images = torch.rand(2, 3, IMAGE, IMAGE)
    gt_boxes, gt_labels = make_targets()
    proposals = make_proposals(gt_boxes)
    labels, reg_targets = match(proposals, gt_boxes, gt_labels, coder)
    features = backbone(images)
    class_logits, box_regression = heads(features, proposals, image_sizes)
    loss_cls, loss_box = fastrcnn_loss(class_logits, box_regression, labels, reg_targets)
    loss = loss_cls + loss_box
    opt.zero_grad()
    loss.backward()
    opt.step()

with torch.no_grad():
    images = torch.rand(2, 3, IMAGE, IMAGE)
    gt_boxes, _ = make_targets()
    proposals = make_proposals(gt_boxes)
    features = backbone(images)
    class_logits, box_regression = heads(features, proposals, image_sizes)
    scores = F.softmax(class_logits, -1)
    pred_boxes = coder.decode(box_regression, proposals)
    per_image = [len(p) for p in proposals]
    detections = []
    for boxes, sc, p in zip(pred_boxes.split(per_image), scores.split(per_image), proposals):
        boxes = box_ops.clip_boxes_to_image(boxes, (IMAGE, IMAGE))
        labels = torch.arange(NUM_CLASSES).view(1, -1).expand_as(sc)
        boxes, sc, labels = boxes[:, 1:].reshape(-1, 4), sc[:, 1:].reshape(-1), labels[:, 1:].reshape(-1)
        keep = torch.where(sc > 0.05)[0]
        boxes, sc, labels = boxes[keep], sc[keep], labels[keep]
        keep = box_ops.remove_small_boxes(boxes, min_size=1e-2)
        boxes, sc, labels = boxes[keep], sc[keep], labels[keep]
        keep = batched_nms(boxes, sc, labels, 0.5)[:5]
        detections.append((boxes[keep], sc[keep], labels[keep]))
        objectness = torch.rand(len(p))
        kept_proposals = p[nms(p, objectness, 0.7)]
        detections.append((kept_proposals,))
