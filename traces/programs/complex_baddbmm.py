"""Complex `torch.baddbmm` in training: a batch of complex64 mixing
matrices fitted by SGD with momentum through `baddbmm(bias, x, w)` with
real and complex `beta`/`alpha` (BaddbmmBackward0 scales each gradient by
the conjugated scalar: `grad @ batch2ᴴ · conj(alpha)`,
`batch1ᴴ @ grad · conj(alpha)`, `grad · conj(beta)`), a conjugate-bit
operand (`x.conj()`: baddbmm is conjugate-aware, no `clone`), a bias
broadcast over the batch, and `beta=0` (the bias is not read); then a
complex128 step with Adam and an eval under no_grad."""

import torch

torch.manual_seed(0)

for dtype, make_opt in (
    (torch.complex64, lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9)),
    (torch.complex128, lambda p: torch.optim.Adam(p, lr=1e-2)),
):
    w = torch.randn(3, 4, 2, dtype=dtype, requires_grad=True)
    bias = torch.randn(1, 5, 2, dtype=dtype, requires_grad=True)
    x = torch.randn(3, 5, 4, dtype=dtype, requires_grad=True)
    target = torch.randn(3, 5, 2, dtype=dtype)
    opt = make_opt([w, bias, x])
    for _ in range(2):
        y = torch.baddbmm(bias, x, w)
        z = torch.baddbmm(bias, x.conj(), w, beta=0.5j, alpha=2 - 1j)
        z2 = torch.baddbmm(bias.expand(3, 5, 2), x, w, beta=2, alpha=0.5)
        z3 = torch.baddbmm(bias, x, w.conj(), beta=0, alpha=1j)
        loss = (y - target).abs().pow(2).sum() + z.real.sum() + z2.imag.sum()
        loss = loss + (z3 * z3.conj()).real.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        print(torch.baddbmm(bias, x, w).abs().sum().item())
