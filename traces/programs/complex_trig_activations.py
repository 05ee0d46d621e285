"""Complex trigonometric and hyperbolic activations in training: a
complex64 layer whose activation mixes `sin`, `cos`, `sinh` and `cosh` of
complex pre-activations (each derivative enters conjugated, as PyTorch's
convention for a holomorphic function defines it: SinBackward0 is
`grad * cos(z).conj()`, CosBackward0 `grad * -sin(z).conj()`, SinhBackward0
`grad * cosh(z).conj()`, CoshBackward0 `grad * sinh(z).conj()`: the
`_conj` views are materialized by `clone` before `neg`/`mul`), with
`tanh`, `sigmoid`, `exp`, `log` and `sqrt` beside them (LogBackward0
`grad / z.conj()`, SqrtBackward0 `grad / (2 * sqrt(z).conj())`), fitted by SGD with
momentum to a complex target; then a complex128 pass with its own
backward and an eval under no_grad."""

import torch

torch.manual_seed(0)

for dtype in (torch.complex64, torch.complex128):
    w = (torch.randn(4, 3, dtype=dtype) * 0.4).requires_grad_()
    b = torch.zeros(3, dtype=dtype, requires_grad=True)
    x = torch.randn(6, 4, dtype=dtype) * 0.5
    target = torch.randn(6, 3, dtype=dtype) * 0.5
    opt = torch.optim.SGD([w, b], lr=1e-2, momentum=0.9)
    for _ in range(2):
        z = x @ w + b
        act = torch.sin(z) + 0.5 * torch.cos(z) + 0.25 * torch.sinh(z)
        act = act - 0.1 * torch.cosh(z) + torch.tanh(z) * torch.sigmoid(z)
        act = act + 0.1 * torch.log(torch.exp(z) + 2) + 0.1 * torch.sqrt(z + 3)
        loss = (act - target).abs().pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        print(loss.item(), torch.sin(x @ w + b).abs().mean().item())
