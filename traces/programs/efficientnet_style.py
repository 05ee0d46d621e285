"""An EfficientNet trained on tiny images, as mobile-vision recipes train it.

torchvision's public `EfficientNet` class built from its own block
configurations, small enough for 8×8-pixel, 3-channel images:

* a stride-2 stem (convolution, BatchNorm, SiLU);
* a FusedMBConv stage (EfficientNetV2's fused 3×3 expansion);
* MBConv stages: 1×1 expansion, depthwise 3×3 or 5×5 convolution,
  squeeze-and-excitation (`adaptive_avg_pool2d`, 1×1 convolutions, SiLU,
  sigmoid gate), 1×1 projection, StochasticDepth ("row" mode) on the
  residual branch; the last stage runs on a 1×1 map, where BatchNorm over
  a batch of two normalises pairs (its gradient cancels to `~eps/var` of
  its terms, the case where PyTorch's float arithmetic and a double one
  differ by more than assert_close's tolerance);
* global average pooling, dropout, a linear classifier.

It trains three steps of RMSprop (the recipe's optimizer: `alpha=0.9`,
`eps=1e-3`, momentum 0.9, weight decay) on label-smoothed cross entropy
with a cosine learning-rate schedule, in an AMP-ready loop run in float32:
a CPU `GradScaler` scales the loss by 2^16 (so the gradients reaching the
1×1 BatchNorm are large and their cancellation shows beyond assert_close's
absolute tolerance), unscales before `clip_grad_norm_`, steps and updates
its scale; an exponential moving average of the weights is kept
(`AveragedModel` with `get_ema_multi_avg_fn`, the buffers too). Then the
averaged model classifies two images in `eval()` (running statistics)
under `no_grad`.
"""
# cpu-dependent-values: BatchNorm over pairs at the 1x1 stage: its gradient cancels to about eps/var of its terms, scaled by 2^16, so an ulp of input becomes a percent

import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torchvision.models.efficientnet import EfficientNet, FusedMBConvConfig, MBConvConfig

torch.manual_seed(0)
setting = [
    FusedMBConvConfig(1, 3, 1, 8, 8, 1),
    MBConvConfig(4, 3, 2, 8, 12, 1),
    MBConvConfig(4, 5, 2, 12, 16, 2),
]
model = EfficientNet(setting, dropout=0.2, stochastic_depth_prob=0.2, num_classes=4, last_channel=32)
ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9), use_buffers=True)
opt = torch.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.9, eps=1e-3, momentum=0.9, weight_decay=1e-5)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3)
scaler = torch.amp.GradScaler("cpu", init_scale=2.0**16)

model.train()
for step in range(3):
    images = torch.randn(2, 3, 8, 8)
    labels = torch.randint(0, 4, (2,))
    loss = F.cross_entropy(model(images), labels, label_smoothing=0.1)
    opt.zero_grad()
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=2.0)
    scaler.step(opt)
    scaler.update()
    sched.step()
    ema.update_parameters(model)
    print("step", step, round(loss.item(), 4), "lr", round(sched.get_last_lr()[0], 6))

ema.eval()
with torch.no_grad():
    probs = ema(torch.randn(2, 3, 8, 8)).softmax(dim=1)
print("ema top-1", probs.argmax(dim=1).tolist())
