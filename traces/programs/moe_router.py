"""A small mixture-of-experts layer (Switch / Mixtral style) trained a few
steps: top-2 routing, `index_add_` dispatch, `scatter_reduce` combine and a
`bincount` load-balancing loss.

A linear gate scores 4 experts per token; `topk` keeps two, renormalised.
Each expert (a two-layer MLP) runs on the tokens routed to it and its
weighted output is added back with `index_add_`. The auxiliary
load-balancing loss multiplies each expert's token share (`bincount` of the
routing choices, with `minlength` so unused experts count 0) by its mean
gate probability; a router z-loss keeps the logits small. A second head
combines per-token expert outputs with `scatter_reduce` (`mean` and `amax`,
ScatterReduceBackward0 with the gradient split among tied maxima) and a
per-expert `index_reduce` summary (`mean`, `amax`, IndexReduceBackward0).
Adam, three steps.
"""

import torch
import torch.nn.functional as F

torch.manual_seed(0)
E, D, K, T = 4, 8, 2, 10
gate = torch.nn.Linear(D, E, bias=False)
experts = torch.nn.ModuleList(
    [
        torch.nn.Sequential(
            torch.nn.Linear(D, 16), torch.nn.GELU(), torch.nn.Linear(16, D)
        )
        for _ in range(E)
    ]
)
params = list(gate.parameters()) + list(experts.parameters())
opt = torch.optim.Adam(params, lr=1e-2)
history = []
for step in range(3):
    x = torch.randn(T, D)
    logits = gate(x)
    probs = F.softmax(logits, dim=-1)
    w, idx = torch.topk(probs, K, dim=-1)
    w = w / w.sum(-1, keepdim=True)
    out = torch.zeros_like(x)
    for e in range(E):
        mask = idx == e
        rows = mask.any(-1).nonzero(as_tuple=True)[0]
        if rows.numel() == 0:
            continue
        we = (w * mask).sum(-1)[rows]
        out.index_add_(0, rows, experts[e](x[rows]) * we[:, None])
    counts = torch.bincount(idx.flatten(), minlength=E).float()
    load = counts / counts.sum()
    aux = (load * probs.mean(0)).sum() * E
    z = torch.logsumexp(logits, -1).pow(2).mean()

    # Per-expert summaries of the tokens routed first to each expert.
    first = idx[:, 0]
    token_score = (out * x).sum(-1)
    summary = torch.zeros(E).scatter_reduce(
        0, first, token_score, "mean", include_self=False
    )
    peak = torch.full((E,), -1.0).scatter_reduce(
        0, first, token_score.round(decimals=1), "amax", include_self=True
    )
    rows_mean = torch.zeros(E, D).index_reduce(
        0, first, out, "mean", include_self=False
    )
    rows_max = torch.zeros(E, D).index_reduce(0, first, x.abs() * out, "amax")
    loss = (
        out.pow(2).mean()
        + 0.01 * aux
        + 1e-3 * z
        + 0.1 * summary.pow(2).sum()
        + 0.05 * peak.sum()
        + 0.1 * rows_mean.pow(2).mean()
        + 0.01 * rows_max.sum()
    )
    opt.zero_grad()
    loss.backward()
    opt.step()
    history.append(round(loss.item(), 6))

# Class-weighted counts with float32 and float64 weights.
ids = torch.tensor([0, 2, 2, 5, 1, 2])
print(torch.bincount(ids, weights=torch.linspace(0.5, 1.0, 6)).tolist())
print(torch.bincount(ids, weights=torch.ones(6, dtype=torch.float64), minlength=8).tolist())

# Every scatter_reduce and index_reduce mode, with ties and zeros.
base = torch.tensor([1.0, 0.0, 3.0, 2.0], requires_grad=True)
src = torch.tensor([2.0, 0.0, 3.0, 3.0, 1.0, 4.0], requires_grad=True)
where = torch.tensor([0, 1, 2, 2, 0, 3])
grads = []
for reduce in ["sum", "prod", "mean", "amax", "amin"]:
    for include_self in [True, False]:
        r = base.scatter_reduce(0, where, src, reduce, include_self=include_self)
        gb, gs = torch.autograd.grad((r * torch.arange(1.0, 5.0)).sum(), (base, src))
        grads.append(gb.tolist() + gs.tolist())
slab = torch.tensor([[1.0, 2.0], [0.0, 5.0], [3.0, 3.0]], requires_grad=True)
piece = torch.tensor([[3.0, 2.0], [0.0, 1.0], [3.0, 4.0], [2.0, 0.0]], requires_grad=True)
slots = torch.tensor([0, 1, 0, 2])
for reduce in ["prod", "mean", "amax", "amin"]:
    for include_self in [True, False]:
        r = slab.index_reduce(0, slots, piece, reduce, include_self=include_self)
        gb, gs = torch.autograd.grad(r.sum(), (slab, piece))
        grads.append(gb.flatten().tolist() + gs.flatten().tolist())
legacy = torch.zeros(2, 3).scatter(1, torch.tensor([[0, 1], [2, 2]]), 2.0, reduce="add")
legacy2 = torch.ones(2, 3).scatter(
    1, torch.tensor([[0, 0], [2, 1]]), torch.full((2, 2), 3.0), reduce="multiply"
)
print(history, grads, legacy.tolist(), legacy2.tolist())
