"""A CPU GradScaler training loop that meets an overflowing loss.

A small regressor trains with `torch.amp.GradScaler("cpu")`: on the second
step the loss is multiplied by inf, so the unscale finds non-finite
gradients, the optimizer step is skipped and the scale backs off. Gradients
are then clipped with an inf and a NaN entry (`clip_grad_norm_` with
`error_if_nonfinite=False`, total norm inf / NaN), Adam steps on a NaN
gradient, and the scaler's unscale operator is called directly the ways
PyTorch checks its operands: an empty gradient list (no checks at all),
float64 `found_inf` and `inv_scale` (`inv_scale`'s dtype is checked first),
a two-element `found_inf` with a float64 `inv_scale` (sizes before dtypes),
and integer gradients.
"""

import torch

torch.manual_seed(0)

model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scaler = torch.amp.GradScaler(device="cpu", init_scale=256.0, growth_interval=2)
for step in range(3):
    x = torch.randn(5, 3)
    y = torch.randn(5, 1)
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    if step == 1:
        loss = loss * float("inf")
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    finite = all(torch.isfinite(p.grad).all() for p in model.parameters())
    scaler.step(opt)
    scaler.update()

adam = torch.optim.Adam(model.parameters(), lr=0.01)
for bad in (float("inf"), float("nan")):
    adam.zero_grad()
    model(torch.randn(2, 3)).sum().backward()
    model[0].weight.grad[0, 0] = bad
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=False)
    adam.step()

grads = [torch.tensor([1.0, float("inf")]), torch.tensor([2.0], dtype=torch.float64)]
found = torch.zeros(1)
torch._amp_foreach_non_finite_check_and_unscale_(grads, found, torch.full((1,), 0.5))
torch._amp_foreach_non_finite_check_and_unscale_([], torch.zeros(3), torch.ones(2, dtype=torch.float64))
bad_operands = [
    (torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)),
    (torch.zeros(2), torch.ones(1, dtype=torch.float64)),
    (torch.zeros(1, dtype=torch.float64), torch.ones(2)),
]
for found_inf, inv_scale in bad_operands:
    try:
        torch._amp_foreach_non_finite_check_and_unscale_([torch.ones(2)], found_inf, inv_scale)
    except RuntimeError:
        pass
try:
    torch._amp_foreach_non_finite_check_and_unscale_(
        [torch.ones(2, dtype=torch.int32)], torch.zeros(1), torch.ones(1)
    )
except RuntimeError:
    pass
