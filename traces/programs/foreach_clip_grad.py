"""Gradient clipping before each SGD step, as CPU programs run it by default
(foreach=None picks the foreach path): clip_grad_norm_ (`_foreach_norm`,
`stack`, `linalg_vector_norm`, `_foreach_mul_.Tensor`) with the 2-norm on
float32, the inf-norm on float64 and the 1-norm on float16 parameters, and
clip_grad_value_ (`_foreach_clamp_min_` / `_foreach_clamp_max_`). The
float32 loss goes through a GradScaler (`_amp_foreach_non_finite_check_and_unscale_`,
`_amp_update_scale_`) unscaled before clipping; its scale overflows in the
first and third steps (the step is skipped, the scale backs off) and grows
after the second. The float16 layer is clipped but not stepped: its SGD
update (`add_` with alpha on a 2x2 half tensor) is where PyTorch's
reduced-precision kernels round differently on short tensors and vector
tails (half arithmetic) than on vector bodies (float FMA), which the runtime
does not model yet."""

import torch
from torch import nn

torch.manual_seed(0)
net32 = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
net64 = nn.Linear(2, 1, dtype=torch.float64)
net16 = nn.Linear(2, 2, dtype=torch.float16)
x32, y32 = torch.randn(4, 3), torch.randn(4, 1) * 8
x64, y64 = torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 1, dtype=torch.float64)
x16, y16 = torch.randn(4, 2, dtype=torch.float16), torch.randn(4, 2, dtype=torch.float16)
opt = torch.optim.SGD(net64.parameters(), lr=0.1)
opt32 = torch.optim.SGD(net32.parameters(), lr=0.1)
scaler = torch.amp.GradScaler("cpu", init_scale=2.0**126, growth_interval=1)
loss_fn = nn.MSELoss()
for step in range(3):
    opt.zero_grad()
    opt32.zero_grad()
    net16.zero_grad()
    scaler.scale(loss_fn(net32(x32), y32)).backward()
    loss_fn(net64(x64), y64).backward()
    loss_fn(net16(x16), y16).backward()
    scaler.unscale_(opt32)
    torch.nn.utils.clip_grad_norm_(net32.parameters(), max_norm=0.5)
    torch.nn.utils.clip_grad_norm_(net64.parameters(), max_norm=0.1, norm_type="inf")
    torch.nn.utils.clip_grad_norm_(net16.parameters(), max_norm=0.2, norm_type=1.0)
    torch.nn.utils.clip_grad_value_(net32.parameters(), clip_value=0.05)
    opt.step()
    scaler.step(opt32)
    scaler.update()
