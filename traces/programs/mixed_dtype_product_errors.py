"""A bfloat16 model fed float32 inputs: every matrix product's dtype error, caught.

Converting a model with `.to(torch.bfloat16)` and forgetting the inputs is a
common mistake; a defensive training script catches the error, casts and
retries. Each product family reports the mismatch its own way, and the
replay must raise the same message in the same order of checks:

* `linear` without bias (`mm`): C++ type names ("float != c10::BFloat16"),
  after the shape check;
* `linear` with bias (`addmm`) and `addbmm`: `self` against `mat2` first,
  then `mat1` against `mat2`, with ScalarType names, before any shape check
  for `addmm`;
* `bmm` / `baddbmm` (attention scores): "expected scalar type ..." for the
  two batches, but `baddbmm` first compares `self` with `batch1` ("Input
  dtypes must be the same, got: input c10::BFloat16, batch1: float, ...");
* `mv` and `addmv`: "addmv input tensors must have the same dtype", where
  `mv` prints the vector's dtype first (its result takes that dtype);
* `dot`; complex operands mixed with real ones; float64 against int64.

After each caught error the script casts and runs the product, and a
bfloat16 two-layer model then trains two SGD steps, each after a
`no_grad` dry run that catches the float32 input's error.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
bf16, f32 = torch.bfloat16, torch.float32


def attempt(fn):
    try:
        return fn()
    except RuntimeError as err:
        print(type(err).__name__, str(err).splitlines()[0])
        return None


x = torch.randn(3, 8)
w = torch.randn(6, 8, dtype=bf16)
b = torch.randn(6, dtype=bf16)
attempt(lambda: F.linear(x, w))
attempt(lambda: F.linear(x, w, b))
attempt(lambda: F.linear(x.to(bf16), w.float(), b))
attempt(lambda: torch.addmm(b.float(), x.to(bf16), w.t()))
attempt(lambda: torch.addmm(b, x, torch.randn(5, 6)))
attempt(lambda: torch.mm(x, torch.randn(5, 4, dtype=bf16)))
y = F.linear(x.to(bf16), w, b)

q = torch.randn(2, 4, 3)
k = torch.randn(2, 3, 4, dtype=bf16)
bias = torch.zeros(2, 4, 4, dtype=bf16)
attempt(lambda: torch.bmm(q, k))
attempt(lambda: torch.bmm(k.transpose(1, 2), q.transpose(1, 2)))
attempt(lambda: torch.baddbmm(bias, q, k))
attempt(lambda: torch.baddbmm(bias.float(), q, k))
attempt(lambda: torch.baddbmm(bias, q.to(bf16), k.float()))
attempt(lambda: torch.baddbmm(bias, q, torch.randn(2, 5, 4)))
attempt(lambda: torch.addbmm(bias[0], q, k))
attempt(lambda: torch.addbmm(bias[0].float(), q.to(bf16), k.float()))
scores = torch.baddbmm(bias, q.to(bf16), k, alpha=0.5)

attempt(lambda: torch.mv(w, x[0]))
attempt(lambda: torch.mv(w.float(), x[0].to(bf16)))
attempt(lambda: torch.addmv(b.float(), w, x[0].to(bf16)))
attempt(lambda: torch.dot(x[0], w[0]))
attempt(lambda: x[0] @ w[0])

c = torch.randn(3, 4, dtype=torch.complex64)
attempt(lambda: torch.mm(c, torch.randn(4, 2)))
attempt(lambda: torch.bmm(c.unsqueeze(0), torch.randn(1, 4, 2)))
attempt(lambda: torch.addmm(torch.zeros(2), c, torch.randn(4, 2, dtype=torch.complex64)))
attempt(lambda: torch.baddbmm(torch.zeros(1, 3, 2, dtype=torch.complex64), c.unsqueeze(0).real,
                              torch.randn(1, 4, 2, dtype=torch.complex64)))
attempt(lambda: torch.mv(c, torch.randn(4)))
attempt(lambda: torch.mm(torch.ones(2, 2, dtype=torch.float64), torch.ones(2, 2, dtype=torch.int64)))

model = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 2)).to(bf16)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(2):
    inp = torch.randn(4, 8)
    with torch.no_grad():
        # a dry run that checks the input dtype before the real step
        ok = attempt(lambda: model(inp)) is not None
    out = model(inp if ok else inp.to(bf16))
    loss = F.cross_entropy(out.float(), torch.randint(0, 2, (4,)))
    opt.zero_grad()
    loss.backward()
    opt.step()
print(y.sum().item(), scores.sum().item())
