"""A tiny Vision Transformer and a tiny ConvNeXt trained as timm-style
recipes train them, from torchvision's public model classes.

* `VisionTransformer(image_size=8, patch_size=4, num_layers=2,
  num_heads=2, hidden_dim=16, mlp_dim=32)`: a 4×4 patch convolution, a
  class token (`expand` + `cat`), learned position embeddings, pre-norm
  encoder blocks (LayerNorm, `nn.MultiheadAttention` self-attention,
  GELU MLP, dropout), the class token's head.
* `ConvNeXt` with two stages (`CNBlockConfig(16, 32, 1)`,
  `CNBlockConfig(32, None, 1)`) on 8×8 images: a 4×4 patchify stem with
  LayerNorm2d, blocks of a 7×7 depthwise convolution, permute to
  channels-last, LayerNorm, Linear, GELU, Linear, layer scale, permute
  back, StochasticDepth; a 2×2 downsampling convolution. The last stage
  runs on a 1×1 map: its input is the previous block's permuted-back
  output, strided (C, 1, C, C), which PyTorch's convolution reads as
  channels-last (its result strided so too).

Both train two AdamW steps on batches of two (weight decay 0.05) on label-smoothed cross
entropy with mixup (a Beta(0.2, 0.2) coefficient, a permuted batch,
both labels' losses weighted) under a linear-warmup-then-cosine schedule
(`SequentialLR` of `LinearLR` and `CosineAnnealingLR`), with gradient
clipping; then `eval()` top-1 under `no_grad`.
"""

import torch
import torch.nn.functional as F
from torchvision.models import VisionTransformer
from torchvision.models.convnext import CNBlockConfig, ConvNeXt

torch.manual_seed(0)
mixup = torch.distributions.Beta(torch.tensor(0.2), torch.tensor(0.2))


def train(name, model, size):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    warmup = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=1)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=1)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[1])
    model.train()
    for step in range(2):
        images = torch.randn(2, 3, size, size)
        labels = torch.randint(0, 5, (2,))
        lam = mixup.sample().item()
        perm = torch.randperm(2)
        mixed = lam * images + (1 - lam) * images[perm]
        logits = model(mixed)
        loss = lam * F.cross_entropy(logits, labels, label_smoothing=0.1) + (1 - lam) * F.cross_entropy(
            logits, labels[perm], label_smoothing=0.1
        )
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        print(name, step, round(loss.item(), 4), round(sched.get_last_lr()[0], 6))
    model.eval()
    with torch.no_grad():
        print(name, "top-1", model(torch.randn(2, 3, size, size)).argmax(dim=1).tolist())


vit = VisionTransformer(image_size=8, patch_size=4, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=5)
train("vit", vit, 8)
convnext = ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, None, 1)], stochastic_depth_prob=0.1, num_classes=5)
train("convnext", convnext, 8)
