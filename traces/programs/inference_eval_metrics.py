"""A validation pass under `torch.inference_mode()` computing the metrics a
training loop logs by hand, with the composites that mode lets a dispatch
mode see whole.

A small classifier is trained two AdamW steps, then evaluated the way a
Lightning-style validation loop does it (inference mode, not `no_grad`):
`cross_entropy` and `nll_loss`, accuracy and top-2 accuracy, a per-class
confusion built from boolean masks (`pred & target`, `|`, `^`, in place
`&=`, `|=`, `^=`, and with Python booleans), precision/recall/F1,
`one_hot` targets with `l1_loss`, `kl_div` (log and probability targets),
`cosine_similarity` and `pairwise_distance` to them, a ROC curve from
`argsort` (and its stable overload) and `cumsum`, AUROC with `trapezoid`,
`trapz` and `cumulative_trapezoid` (sample points and constant spacing), the
prediction spread with the `unbiased` overloads of `var`/`std`/`var_mean`/
`std_mean`, `isfinite`/`isclose` sanity checks, `torch.where` with Python
numbers on either side, `square`, `diff` (with `prepend`/`append`, of bool
masks) and `broadcast_tensors`. Outside inference mode these decompose
before the mode and replay through their parts; inside it the runtime runs
PyTorch's decomposition of each whole.
"""

import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)
C = 4
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, C))
x, y = torch.randn(32, 6), torch.randint(0, C, (32,))
opt = torch.optim.AdamW(model.parameters(), lr=0.01)
for _ in range(2):
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()

model.eval()
xv, yv = torch.randn(24, 6), torch.randint(0, C, (24,))
thresholds = torch.linspace(0, 1, 6)
with torch.inference_mode():
    logits = model(xv)
    loss = F.cross_entropy(logits, yv)
    nll = F.nll_loss(F.log_softmax(logits, -1), yv)
    prob = F.softmax(logits, dim=-1)
    pred = prob.argmax(-1)
    acc = pred.eq(yv).float().mean()
    top2 = logits.topk(2, -1).indices.eq(yv[:, None]).any(-1).float().mean()

    # Per-class confusion from boolean masks.
    f1s = []
    for c in range(C):
        p, t = pred == c, yv == c
        tp = (p & t).sum()
        fp = (p & ~t).sum()
        fn = (~p & t).sum()
        either = (p | t).sum()
        differ = (p ^ t).sum()
        f1s.append(2 * tp / (2 * tp + fp + fn).clamp(min=1) + 0 * (either + differ))
    macro_f1 = torch.stack(f1s).mean()
    m = pred == 1
    m &= prob[:, 1] > 0.2
    m |= yv == 1
    m ^= pred == 3
    also = (m & True).sum() + (m | False).sum() + (m ^ True).sum()

    # One-hot targets: distances and divergences to them.
    oh = F.one_hot(yv, C).float()
    oh_auto = F.one_hot(yv)
    l1 = F.l1_loss(prob, oh) + F.l1_loss(prob, oh, reduction="sum")
    kl = F.kl_div(F.log_softmax(logits, -1), oh.clamp(1e-3), reduction="batchmean")
    kl_log = F.kl_div(F.log_softmax(logits, -1), F.log_softmax(logits.flip(0), -1), reduction="sum", log_target=True)
    cos = F.cosine_similarity(prob, oh, dim=-1).mean()
    cos_int = F.cosine_similarity(oh_auto.float(), oh_auto.flip(0).float(), dim=0)
    dist = F.pairwise_distance(prob, oh).mean() + F.pairwise_distance(prob, oh, p=1.0, keepdim=True).sum()

    # ROC of class 1 against the rest, AUROC three ways.
    score = prob[:, 1]
    pos = yv == 1
    order = torch.argsort(score, descending=True)
    order_stable = torch.argsort(score, stable=True, descending=True)
    hits = pos[order].float()
    tpr = torch.cumsum(hits, 0) / hits.sum().clamp(min=1)
    fpr = torch.cumsum(1 - hits, 0) / (1 - hits).sum().clamp(min=1)
    auc = torch.trapezoid(tpr, fpr)
    auc_trapz = torch.trapz(tpr, fpr)
    auc_curve = torch.cumulative_trapezoid(tpr, fpr)
    grid = torch.trapezoid(tpr, dx=0.5) + torch.trapz(tpr, dx=0.25) + torch.trapezoid(tpr)
    grid_curve = torch.cumulative_trapezoid(tpr, dx=0.5)
    rows = torch.trapezoid(prob, thresholds[:C], dim=1) + torch.trapezoid(prob.t(), dim=0)
    batch_auc = torch.trapezoid(prob.reshape(4, 6, C), prob.reshape(4, 6, C).cumsum(1), dim=1)

    # Spread of the predictions.
    var = prob.var(0)
    std = prob.std(1, unbiased=False, keepdim=True)
    vm = torch.var_mean(prob, 0)
    sm = torch.std_mean(prob, [0, 1], unbiased=False)
    whole = torch.ops.aten.var.default(prob) + torch.ops.aten.std.default(prob, False)
    wm = torch.ops.aten.var_mean.default(prob)[0] + torch.ops.aten.std_mean.default(prob)[1]

    # Sanity checks, masks with Python numbers, squared error.
    finite = torch.isfinite(logits).all() & torch.isfinite(yv).all()
    close = torch.isclose(prob.sum(1), torch.ones(24)).all()
    close_nan = torch.isclose(score, score.flip(0), rtol=0.1, atol=0.05, equal_nan=True).sum()
    exact = torch.isclose(score, score, rtol=0.0, atol=0.0).all()
    masked = torch.where(pos, score, 0.0).sum() + torch.where(pos, 1.0, score).sum()
    flags = torch.where(pos, 1, 0).sum() + torch.where(pos, 2.5, -1).sum()
    brier = (prob - oh).square().sum(1).mean()
    sq = torch.square(yv).sum()

    # Differences along the sorted scores and the masks.
    gaps = torch.diff(score[order])
    gaps2 = torch.diff(prob, n=2, dim=0)
    edges = torch.diff(score, prepend=score[:1], append=torch.zeros(1))
    flips = torch.diff(pos).sum()
    b1, b2 = torch.broadcast_tensors(prob, score[:, None])
    flat = logits.reshape_as(prob).flatten()

    scalars = [loss, nll, acc, top2, macro_f1, also, l1, kl, kl_log, cos, cos_int.sum(), dist,
               auc, auc_trapz, auc_curve[-1], grid, grid_curve.sum(), rows.sum(), batch_auc.sum(),
               var.sum(), std.sum(), vm[0].sum(), sm[1], whole, wm, brier, sq, masked, flags, close_nan,
               gaps.sum(), gaps2.sum(), edges.sum(), flips, (b1 * b2).sum(), flat.sum()]
    checks = [finite, close, exact]
    report = [round(t.item(), 4) for t in scalars] + [bool(t.item()) for t in checks] + order_stable[:3].tolist()

# Printing a tensor detaches it, which a dispatch mode does not see inside
# inference_mode: the loop logs Python numbers.
print(report)
