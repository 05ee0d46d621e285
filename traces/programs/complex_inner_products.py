"""Complex inner products in training: a complex64 filter fitted by Adam to
a real objective built from `torch.vdot` (conjugates its first operand;
VdotBackward0 computes `grad * self` for the second operand, then
`grad.conj() * other`, the conjugate a `_conj` view that the Conjugate
fallback materializes), `torch.dot` (DotBackward0: `grad * other.conj()`),
`vdot(v, v)` (a squared norm: both gradients summed into one input) and
`dot` of a complex vector with itself; then the same objective in
complex128 with SGD, and an eval of the products under no_grad. Last,
operands with the conjugate bit (`.conj()` views): `dot`/`vdot` take them
without the fallback's `clone`, and `dot(x̄, ȳ)` and `vdot(x, ȳ)` return
the conjugate of a plain product as a view (their results' conjugate bit
set, resolved by the `clone` before `abs`); gradients through all four
pairings."""

import torch

torch.manual_seed(0)


def objective(w, x, y):
    corr = torch.vdot(w, x)
    return (
        (corr - y).abs().pow(2)
        + torch.vdot(w, w).real * 0.1
        + torch.dot(w, x).real
        + torch.dot(x, w).imag
        + torch.dot(w, w).abs()
    )


for dtype, make_opt in (
    (torch.complex64, lambda p: torch.optim.Adam(p, lr=1e-2)),
    (torch.complex128, lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.5)),
):
    w = torch.randn(6, dtype=dtype, requires_grad=True)
    x = torch.randn(6, dtype=dtype)
    y = torch.randn((), dtype=dtype)
    opt = make_opt([w])
    for _ in range(3):
        opt.zero_grad()
        loss = objective(w, x, y)
        loss.backward()
        opt.step()
    with torch.no_grad():
        print(loss.item(), torch.vdot(x, w), torch.dot(w, x))

a = torch.randn(5, dtype=torch.complex64, requires_grad=True)
b = torch.randn(5, dtype=torch.complex64, requires_grad=True)
pairs = [
    torch.dot(a.conj(), b.conj()),
    torch.dot(a.conj(), b),
    torch.dot(a, b.conj()),
    torch.vdot(a.conj(), b.conj()),
    torch.vdot(a.conj(), b),
    torch.vdot(a, b.conj()),
]
print([p.is_conj() for p in pairs])
total = sum((p * (k + 1)).abs() for k, p in enumerate(pairs))
total.backward()
print(total.item(), a.grad, b.grad)
