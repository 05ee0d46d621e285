"""A detection head's losses in float32: smooth L1, Huber, multi-margin, soft margin.

A small head over 50 proposals regresses box deltas with
`F.smooth_l1_loss(beta=1/9)` (200 elements: six whole steps of two
vectors, the last 8 in PyTorch's scalar loop) and depths with
`F.huber_loss(delta=0.5)` (37 elements: one step, one more vector, 5
scalar), classifies with `F.multi_margin_loss(reduction="none")` weighted
by signed advantages (a negative weight sends a negative gradient, so a
class without a hinge gets `-0.0`), and scores objectness with
`F.soft_margin_loss`. PyTorch's smooth L1 and Huber gradients order their
steps differently in the vectorised loop and the scalar tail (the tail
divides by the double `beta`), the multi-margin loops round every step to
float32, and the soft margin mean is the loss tensor's cascade sum. The
same losses run in float64 for one step.
"""

import torch
import torch.nn.functional as F

torch.manual_seed(0)

head = torch.nn.Linear(8, 4 + 1 + 5 + 1)
opt = torch.optim.SGD(head.parameters(), lr=0.1)
feats = torch.randn(50, 8)
box_t = torch.randn(50, 4) * 0.3
depth_t = torch.randn(37)
labels = torch.randint(0, 5, (50,))
advantage = torch.randn(50)
obj_t = torch.sign(torch.randn(50))

for step in range(3):
    opt.zero_grad()
    out = head(feats)
    boxes, depth, logits, obj = out[:, :4], out[:37, 4], out[:, 5:10], out[:, 10]
    l_box = F.smooth_l1_loss(boxes, box_t, beta=1.0 / 9.0, reduction="sum") / 50
    l_depth = F.huber_loss(depth, depth_t, delta=0.5)
    l_cls = (F.multi_margin_loss(logits, labels, margin=0.5, reduction="none") * advantage).mean()
    l_obj = F.soft_margin_loss(obj, obj_t)
    loss = l_box + l_depth + l_cls + l_obj
    loss.backward()
    opt.step()
    print(step, round(l_box.item(), 6), round(l_depth.item(), 6), round(l_cls.item(), 6), round(l_obj.item(), 6))

# one step in float64
head64 = head.double()
out = head64(feats.double())
loss = F.smooth_l1_loss(out[:, :4], box_t.double(), beta=0.2) + F.huber_loss(out[:37, 4], depth_t.double(), delta=0.5)
loss = loss + F.multi_margin_loss(out[:, 5:10], labels, p=2, weight=torch.rand(5, dtype=torch.float64))
loss.backward()
print(round(loss.item(), 10))
