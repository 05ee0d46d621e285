"""Metric learning with `torch.dist`: a prototypical few-shot classifier.

A small float32 embedding network maps support and query points; each class
prototype is the mean of its support embeddings, and a query's logits are
`-torch.dist(query, prototype)` for every prototype (the Euclidean norm of
the broadcast difference, DistBackward0 with both operands requiring grad).
Three SGD steps on the cross-entropy. Around it: a contrastive margin term
with `torch.dist(a, b, p=1)` and the Chebyshev distance `p=inf`, a `p=3`
distance between a `[4, 8]` embedding batch and a broadcast `[8]` centre
(the gradient summed back to the centre's shape), a float64 distance
between a parameter and a frozen anchor (only `self` requiring grad), the
method form `x.dist(y)` under `no_grad`, `p=0` (the count of differing
elements, no gradient), a zero distance (the masked `norm == 0` branch),
and the broadcast error of mismatched shapes, caught.
"""

import torch

torch.manual_seed(0)

embed = torch.nn.Sequential(
    torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 8)
)
opt = torch.optim.SGD(embed.parameters(), lr=0.05)

n_way, n_shot = 3, 2
centres = torch.randn(n_way, 5) * 2.0
support = centres.repeat_interleave(n_shot, 0) + 0.3 * torch.randn(n_way * n_shot, 5)
labels = torch.arange(n_way)
queries = centres + 0.3 * torch.randn(n_way, 5)

for step in range(3):
    opt.zero_grad()
    s = embed(support).view(n_way, n_shot, 8)
    protos = s.mean(1)
    q = embed(queries)
    logits = torch.stack(
        [torch.stack([-torch.dist(q[i], protos[k]) for k in range(n_way)]) for i in range(n_way)]
    )
    loss = torch.nn.functional.cross_entropy(logits, labels)
    # A contrastive hinge on the first two prototypes, L1 and Chebyshev.
    margin = torch.relu(30.0 - torch.dist(protos[0], protos[1], p=1))
    cheb = torch.dist(protos[1], protos[2], p=float("inf"))
    total = loss + 0.1 * margin + 0.05 * cheb
    total.backward()
    opt.step()
    print(f"step {step}: loss {loss.item():.4f} margin {margin.item():.4f}")

# p=3 between a batch and a broadcast centre; both require grad.
batch = torch.randn(4, 8, requires_grad=True)
centre = torch.randn(8, requires_grad=True)
d3 = torch.dist(batch, centre, 3)
d3.backward()
print("p=3", d3.item(), centre.grad.norm().item())

# float64: a parameter pulled toward a frozen anchor.
w = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
anchor = torch.eye(3, dtype=torch.float64)
reg = torch.dist(w, anchor) ** 2
reg.backward()
print("anchor", reg.item(), w.grad.abs().sum().item())

# A zero distance: the gradient is masked to zero, not NaN.
z = torch.ones(2, 3, requires_grad=True)
dz = torch.dist(z, torch.ones(2, 3))
dz.backward()
print("zero", dz.item(), z.grad.abs().sum().item())

with torch.no_grad():
    a = torch.randn(6)
    b = a.clone()
    b[2] = 0.5
    print("method", a.dist(b).item(), "p=0", torch.dist(a, b, 0).item())

try:
    torch.dist(torch.randn(3), torch.randn(4))
except RuntimeError as e:
    print("error", str(e).splitlines()[0])
