"""Learnable fake quantization (LSQ), as `torch.ao.quantization`'s
`_LearnableFakeQuantize` trains it.

The input of a small linear probe goes through a per-tensor
`_LearnableFakeQuantize` (quint8 range 0..255, initial scale 0.05 and zero
point 128, `use_grad_scaling`: `grad_factor = 1 / sqrt(numel * quant_max)`)
whose scale and zero point are `nn.Parameter`s trained by Adam with the
layer: `_fake_quantize_learnable_per_tensor_affine` forward (the zero point
rounded to even and clamped), FakeQuantizeLearnablePerTensorAffineBackward0
calling `_fake_quantize_learnable_per_tensor_affine_backward` for the
input, the scale and the zero point (their per-element straight-through and
clamp gradients summed). The first step also observes the batch
(`MovingAverageMinMaxObserver`, qparams copied into the parameters under
`no_grad`); `toggle_observer_update(False)` then leaves the scale and zero
point to the optimizer for three more steps, and a batch with values beyond
the range (clamped elements: the scale's edge gradient, the zero point's
`-scale`) trains a last one.
"""
# cpu-dependent-values: fake quantization rounds, so an ulp moves an element across a rounding step; the learnable scale's gradient sums those steps and Adam carries them on

import torch
from torch import nn
from torch.ao.quantization import MovingAverageMinMaxObserver
from torch.ao.quantization._learnable_fake_quantize import _LearnableFakeQuantize

torch.manual_seed(0)
act_fq = _LearnableFakeQuantize(
    observer=MovingAverageMinMaxObserver,
    quant_min=0,
    quant_max=255,
    scale=0.05,
    zero_point=128.0,
    use_grad_scaling=True,
)
probe = nn.Linear(6, 4)
opt = torch.optim.Adam(list(probe.parameters()) + list(act_fq.parameters()), lr=0.01)
x = torch.randn(5, 6)
for step in range(4):
    if step == 1:
        act_fq.toggle_observer_update(False)
    loss = probe(act_fq(x)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("step", step, round(loss.item(), 6), round(act_fq.scale.item(), 8), round(act_fq.zero_point.item(), 6))

wide = x * 8.0
loss = probe(act_fq(wide)).pow(2).mean()
opt.zero_grad()
loss.backward()
print("clamped grads", round(act_fq.scale.grad.item(), 8), round(act_fq.zero_point.grad.item(), 8))
opt.step()
