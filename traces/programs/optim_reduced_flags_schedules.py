"""Optimizer flags and learning-rate schedules ordinary training scripts
switch on, each driving a small MLP regressor (batch size 1) for a few
steps.

* Reduced precision, single-tensor and foreach: ASGD on float16 and
  bfloat16 parameters (the foreach step's `_foreach_addcmul_` multiplies by
  the float32 0-dim step sizes `eta`, which PyTorch's CPU kernel first
  casts to the parameters' dtype), NAdam with `momentum_decay` and RAdam
  with `decoupled_weight_decay`, Adagrad with `lr_decay` and
  `initial_accumulator_value`, Adafactor (row/column factored second
  moments, `rsqrt_`).
* Muon on the 2-D weights (Newton-Schulz orthogonalisation by `mm`s,
  `adjust_lr_fn="match_rms_adamw"`), float64.
* Fused Adam (`amsgrad`), AdamW (`maximize`) and SGD (`nesterov`) with a
  GradScaler under bfloat16 autocast, unscaling once for a norm clip.
* Schedules: OneCycleLR with three phases and a tensor `lr` (filled in
  place), SequentialLR over LinearLR/ConstantLR/MultiplicativeLR,
  ChainedScheduler of ExponentialLR and CosineAnnealingWarmRestarts,
  PolynomialLR, MultiStepLR, and ReduceLROnPlateau in `max` mode with an
  absolute threshold and a cooldown.
"""

import torch
from torch import nn
from torch.optim import lr_scheduler as S

torch.manual_seed(0)
x = torch.randn(1, 4)
y = torch.randn(1, 2)


def make(dtype=torch.float32, bias=True):
    return nn.Sequential(nn.Linear(4, 3, bias=bias), nn.Tanh(), nn.Linear(3, 2, bias=bias)).to(dtype)


def loss_of(model, dtype=torch.float32):
    return ((model(x.to(dtype)) - y.to(dtype)) ** 2).sum()


def train(model, opt, steps=3, dtype=torch.float32, sched=None):
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_of(model, dtype)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()


for dtype in (torch.float16, torch.bfloat16):
    for foreach in (False, True):
        m = make(dtype)
        train(m, torch.optim.ASGD(m.parameters(), lr=0.01, t0=1, foreach=foreach), dtype=dtype)
    m = make(dtype)
    opt = torch.optim.NAdam(m.parameters(), lr=0.01, momentum_decay=4e-3, decoupled_weight_decay=True, weight_decay=0.01, foreach=True)
    train(m, opt, dtype=dtype)
m = make(torch.bfloat16)
train(m, torch.optim.RAdam(m.parameters(), lr=0.01, decoupled_weight_decay=True, weight_decay=0.01), steps=6, dtype=torch.bfloat16)
m = make(torch.float16)
train(m, torch.optim.Adagrad(m.parameters(), lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1, foreach=True), dtype=torch.float16)
for foreach in (False, True):
    m = make()
    train(m, torch.optim.Adafactor(m.parameters(), lr=0.01, weight_decay=0.01, foreach=foreach))

m = make(torch.float64, bias=False)
opt = torch.optim.Muon(m.parameters(), lr=0.02, weight_decay=0.01, adjust_lr_fn="match_rms_adamw", ns_steps=3)
train(m, opt, steps=2, dtype=torch.float64)

for cls, kw in ((torch.optim.Adam, {"amsgrad": True}), (torch.optim.AdamW, {"maximize": True}), (torch.optim.SGD, {"momentum": 0.9, "nesterov": True})):
    m = make()
    opt = cls(m.parameters(), lr=0.01, fused=True, **kw)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**8, growth_interval=1)
    for step in range(2):
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = loss_of(m)
        scaler.scale(loss).backward()
        if step == 1:
            scaler.unscale_(opt)
            nn.utils.clip_grad_norm_(m.parameters(), 0.5)
        scaler.step(opt)
        scaler.update()

m = make()
opt = torch.optim.Adam(m.parameters(), lr=torch.tensor(0.01))
train(m, opt, steps=4, sched=S.OneCycleLR(opt, max_lr=0.05, total_steps=5, three_phase=True))
m = make()
opt = torch.optim.SGD(m.parameters(), lr=0.1)
warm = [S.LinearLR(opt, start_factor=0.1, total_iters=2), S.ConstantLR(opt, factor=0.5, total_iters=1), S.MultiplicativeLR(opt, lambda epoch: 0.9)]
train(m, opt, steps=4, sched=S.SequentialLR(opt, warm, milestones=[2, 3]))
m = make()
opt = torch.optim.AdamW(m.parameters(), lr=0.01)
train(m, opt, steps=3, sched=S.ChainedScheduler([S.ExponentialLR(opt, gamma=0.9), S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=1e-4)]))
m = make()
opt = torch.optim.RMSprop(m.parameters(), lr=0.01, momentum=0.5)
train(m, opt, steps=3, sched=S.PolynomialLR(opt, total_iters=4, power=2.0))
m = make()
opt = torch.optim.SGD(m.parameters(), lr=torch.tensor(0.1), momentum=0.9, dampening=0.5)
train(m, opt, steps=3, sched=S.MultiStepLR(opt, milestones=[1, 2], gamma=0.3))
m = make()
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
plateau = S.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=0, threshold=0.01, threshold_mode="abs", cooldown=1, min_lr=1e-3)
for _ in range(4):
    opt.zero_grad()
    loss = loss_of(m)
    loss.backward()
    opt.step()
    plateau.step(-loss.item())
