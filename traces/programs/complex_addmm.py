"""Complex `torch.addmm` in training: a complex64 weight and bias fitted by
Adam through `addmm(bias, x, w)` with real and complex `beta`/`alpha`
(AddmmBackward0 multiplies each gradient by the conjugated scalar:
`grad @ mat2ᴴ · conj(alpha)`, `mat1ᴴ @ grad · conj(alpha)`,
`grad · conj(beta)`) and a conjugate-bit operand (`x.conj()`: addmm is
conjugate-aware, no `clone`); then a complex128 step with SGD and an
eval under no_grad."""

import torch

torch.manual_seed(0)

for dtype, make_opt in (
    (torch.complex64, lambda p: torch.optim.Adam(p, lr=1e-2)),
    (torch.complex128, lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.5)),
):
    w = torch.randn(4, 3, dtype=dtype, requires_grad=True)
    b = torch.randn(3, dtype=dtype, requires_grad=True)
    x = torch.randn(2, 4, dtype=dtype, requires_grad=True)
    target = torch.randn(2, 3, dtype=dtype)
    opt = make_opt([w, b, x])
    for _ in range(2):
        y = torch.addmm(b, x, w)
        z = torch.addmm(b, x.conj(), w, beta=0.5j, alpha=2 - 1j)
        z2 = torch.addmm(b, x, w, beta=2, alpha=0.5)
        loss = (y - target).abs().pow(2).sum() + z.real.sum() + z2.imag.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        print(torch.addmm(b, x, w).abs().sum().item())
