"""Complex matrix-vector products in training: a complex64 matrix and bias
fitted by Adam through `torch.mv` / `matrix @ vector` (MvBackward0:
`grad ⊗ vec.conj()` for the matrix, `self.conj().t() @ grad` for the
vector, each `_conj` view materialized by `clone` before `mul`/`mv`) and
`torch.addmv` with complex `beta`/`alpha` (AddmvBackward0 multiplies by
the conjugated scalars) and real ones; a conjugate-bit vector operand
(`w @ x.conj()`, cloned before `mv`), then a complex128 step with SGD and
an eval under no_grad."""

import torch

torch.manual_seed(0)

for dtype, make_opt in (
    (torch.complex64, lambda p: torch.optim.Adam(p, lr=1e-2)),
    (torch.complex128, lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.5)),
):
    w = torch.randn(3, 4, dtype=dtype, requires_grad=True)
    b = torch.randn(3, dtype=dtype, requires_grad=True)
    x = torch.randn(4, dtype=dtype, requires_grad=True)
    target = torch.randn(3, dtype=dtype)
    opt = make_opt([w, b, x])
    for _ in range(2):
        y = torch.mv(w, x)
        z = torch.addmv(b, w, x, beta=2j, alpha=1 - 0.5j)
        z2 = torch.addmv(b, w, x, beta=0.5, alpha=2)
        loss = (
            (y - target).abs().pow(2).sum()
            + z.real.sum()
            + z2.imag.sum()
            + (w @ x.conj()).abs().sum()
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        print(torch.mv(w, x).abs().sum().item())
