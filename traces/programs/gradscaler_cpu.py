"""torch.amp.GradScaler("cpu") around a small CNN's SGD steps.

The scaler's half of the mixed-precision recipe, on its own (autocast
regions are covered by `autocast_cpu`): `scaler.scale(loss).backward()`,
`scaler.unscale_(optimizer)` then `clip_grad_norm_` on the unscaled
gradients, `scaler.step` (skipped when a gradient is not finite) and
`scaler.update` (`_amp_foreach_non_finite_check_and_unscale_`,
`_amp_update_scale_`), then the growth of the scale after an interval.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scaler = torch.amp.GradScaler("cpu", init_scale=2.0**4, growth_interval=2)
for step in range(3):
    x = torch.randn(2, 1, 6, 6)
    y = torch.randint(0, 3, (2,))
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(optimizer)
    scaler.update()
scale = scaler.get_scale()
