"""Class targets stored as uint8, as masks and labels loaded from images are.

PyTorch's `nll_loss_forward` (an `(N, C)` or `(C)` input) reads a Byte
target as readily as a Long one, while its 2-d kernels
(`nll_loss2d_forward` / `nll_loss2d_backward`, a `(N, C, H, W)` input) read
the target as int64 after their geometry and class-weight checks and raise
"expected scalar type Long but found Byte". A small segmentation net is
trained three SGD-momentum steps on uint8 masks with 255 as the ignore
label, the way such code ends up written:

* the loss first tried on the uint8 mask itself: `F.cross_entropy` over
  the `(N, C, H, W)` logits raises (an `op_error` the runtime must raise
  with PyTorch's class and message) and the loop falls back to
  `mask.long()`;
* a per-pixel auxiliary loss over flattened pixels (`(N·H·W, C)` logits),
  which accepts the uint8 mask directly (`nll_loss_forward` with
  `ignore_index=255` and class weights);
* an image-level classifier on uint8 labels (`nll_loss` on `log_softmax`);
* a mismatched mask shape caught as the size error PyTorch raises before
  the dtype, and a mask IoU with `!=`/`&` on the uint8 masks.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(39)
IGNORE = 255

net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 4, 1))
cls_head = nn.Linear(4, 3)
opt = torch.optim.SGD([*net.parameters(), *cls_head.parameters()], lr=0.01, momentum=0.9, weight_decay=1e-4)
weights = torch.tensor([1.0, 2.0, 0.5, 1.0])
for step in range(3):
    img = torch.rand(2, 3, 6, 6)
    mask = torch.randint(0, 4, (2, 6, 6), dtype=torch.uint8)
    mask[:, 0, :] = IGNORE
    label = torch.randint(0, 3, (2,), dtype=torch.uint8)
    out = net(img)
    try:
        loss = F.cross_entropy(out, mask, ignore_index=IGNORE)
    except RuntimeError as err:
        print("uint8 mask:", err)
        loss = F.cross_entropy(out, mask.long(), ignore_index=IGNORE)
    pixels = out.permute(0, 2, 3, 1).reshape(-1, 4)
    loss = loss + F.cross_entropy(pixels, mask.reshape(-1), weight=weights, ignore_index=IGNORE)
    loss = loss + F.nll_loss(F.log_softmax(cls_head(out.mean((2, 3))), -1), label)
    if step == 1:
        try:
            F.cross_entropy(out, mask[:, :5], ignore_index=IGNORE)
        except RuntimeError as err:
            print("shape:", err)
    opt.zero_grad()
    loss.backward()
    opt.step()
    valid = mask != IGNORE
    iou = ((out.argmax(1) == mask) & valid).sum() / valid.sum()
    print(step, loss.item(), iou.item())
