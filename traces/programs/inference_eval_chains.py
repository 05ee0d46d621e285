"""A linear-algebra evaluation report: chained products, index
combinations and matrix norms with string orders, computed with autograd
on (where each composite decomposes before the mode), under `no_grad`, and
under `torch.inference_mode()` (where a dispatch mode sees them whole).

`linalg.multi_dot` of three matrices (ATen's cost formula picks `A (B C)`),
of four (the matrix-chain order), with a 1-d first or last operand and of
two; `chain_matmul` of three and of one matrix (a clone); `combinations`
(pairs, triples, with replacement, r = 1, r = 0); `linalg.matrix_norm`
with `"fro"` / `"nuc"` (also over dimensions (0, 2) with `keepdim`) and
numeric orders 2 and -inf; `torch.norm(p="fro"/"nuc")` and
`linalg.norm(ord="fro")`. The report's sum backpropagates once.
"""

import torch

torch.manual_seed(7)


def report(a, b, c, d, v, x):
    out = []
    out.append(torch.linalg.multi_dot([a, b, c]))
    out.append(torch.linalg.multi_dot([a, b, c, d]))
    out.append(torch.linalg.multi_dot([v[:4], b, c]))
    out.append(torch.linalg.multi_dot([a, b, v[:5]]))
    out.append(torch.linalg.multi_dot([a, b]))
    out.append(torch.chain_matmul(a, b, c))
    out.append(torch.chain_matmul(a))
    out.append(torch.combinations(v))
    out.append(torch.combinations(v, r=3))
    out.append(torch.combinations(v[:4], r=2, with_replacement=True))
    out.append(torch.combinations(v, r=1))
    out.append(torch.combinations(v, r=0))
    out.append(torch.linalg.matrix_norm(a, ord="fro"))
    out.append(torch.linalg.matrix_norm(a, ord="nuc"))
    out.append(torch.linalg.matrix_norm(x, ord="fro", dim=(0, 2), keepdim=True))
    out.append(torch.linalg.matrix_norm(x, ord="nuc", dim=(0, 2), keepdim=True))
    out.append(torch.linalg.matrix_norm(x, ord=2))
    out.append(torch.linalg.matrix_norm(a, ord=-float("inf")))
    out.append(torch.norm(a, p="fro"))
    out.append(torch.norm(a, p="nuc"))
    out.append(torch.linalg.norm(a, ord="fro"))
    return out


a = torch.randn(3, 4, requires_grad=True)
b = torch.randn(4, 5)
c = torch.randn(5, 2)
d = torch.randn(2, 3)
v = torch.randn(6)
x = torch.randn(2, 3, 4)
outs = report(a, b, c, d, v, x)
total = sum(o.sum() for o in outs)
total.backward()
print(f"grad {a.grad.sum().item():.4f}")
with torch.no_grad():
    print(f"no_grad {sum(o.sum().item() for o in report(a, b, c, d, v, x)):.4f}")
with torch.inference_mode():
    shown = report(a, b, c, d, v, x)
    print(f"inference {sum(o.sum().item() for o in shown):.4f}")
    print([tuple(o.shape) for o in shown])
