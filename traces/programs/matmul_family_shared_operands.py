"""The matrix-product family trained as one least-squares objective, with
operands that appear twice: `baddbmm`/`addbmm` with beta and alpha,
`addmv`, `addr`, `addmm`, `linalg.multi_dot`, `chain_matmul`, `einsum`
with an ellipsis and a batched diagonal, `inner`, `outer`, `dot(u, u)`,
`vdot(v, v)` (VdotBackward0 computes the second operand's gradient first,
so `v`'s two gradients are summed in that order), vector-matrix `matmul`
both ways and a broadcast batched `matmul`. Two SGD steps in float32, one
in float64."""

import torch

torch.manual_seed(0)


def objective(a, b, m, v, u, w):
    return (
        torch.baddbmm(m.expand(3, 4, 2), a, b, beta=0.5, alpha=2.0).sum()
        + torch.addbmm(m, a, b, beta=0.0).pow(2).sum()
        + torch.addmv(u, w, v, alpha=0.3).sum()
        + torch.addr(w, u, v, beta=2).sum()
        + torch.linalg.multi_dot([w, w.T, u]).sum()
        + torch.einsum("...ij,...jk->...ik", a, b).sum()
        + torch.einsum("bij,bij->b", a, a).sum()
        + torch.einsum("i,j->ij", u, v).trace()
        + torch.chain_matmul(w, w.T, w).sum()
        + torch.inner(u, u)
        + torch.outer(v, v).sum()
        + torch.vdot(v, v)
        + torch.vdot(v, w[0])
        + torch.dot(u, u)
        + (a @ v).sum()
        + (u @ a).sum()
        + torch.matmul(a.unsqueeze(0), b.unsqueeze(1)).sum()
        + torch.mv(w, v).sum()
        + torch.addmm(m, w, b[0], beta=0.1, alpha=0.9).sum()
    )


for dtype, steps in ((torch.float32, 2), (torch.float64, 1)):
    a = torch.randn(3, 4, 5, dtype=dtype, requires_grad=True)
    b = torch.randn(3, 5, 2, dtype=dtype, requires_grad=True)
    m = torch.randn(4, 2, dtype=dtype, requires_grad=True)
    v = torch.randn(5, dtype=dtype, requires_grad=True)
    u = torch.randn(4, dtype=dtype, requires_grad=True)
    w = torch.randn(4, 5, dtype=dtype, requires_grad=True)
    opt = torch.optim.SGD([a, b, m, v, u, w], lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        loss = objective(a, b, m, v, u, w)
        loss.backward()
        opt.step()
    print(loss.item(), v.grad.sum().item())
