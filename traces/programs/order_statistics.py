"""Order statistics, counting and histograms in training and evaluation
code: a robust regression trained with median/quantile losses, and the
metrics and class statistics around it.

A linear model is fitted three SGD steps on data with outliers using the
median absolute error (`median.dim`, MedianBackward1), the all-element
median (`median()`, MedianBackward0), a trimmed loss from `kthvalue`
(KthvalueBackward0) and a pinball loss at `torch.quantile`. Around it:
`nanmedian` (both overloads) on rows with NaN and an all-NaN row, `mode`
(ModeBackward0) on rows with ties longer and shorter than 16, running
`cummax`/`cummin` (CummaxBackward0/CumminBackward0, later ties win),
class counts from `torch.unique` (`_unique2` with inverse and counts) and
`bincount` for a class-weighted cross entropy, `unique_consecutive`,
`unique(dim=0)`, `histc` of the residuals, `count_nonzero` and
`tril_indices`/`triu_indices` for pairwise terms.
"""

import torch
import torch.nn.functional as F

torch.manual_seed(0)
X = torch.randn(32, 5)
true_w = torch.randn(5, 1)
y = X @ true_w + 0.1 * torch.randn(32, 1)
y[::7] += 8.0  # outliers
model = torch.nn.Linear(5, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
losses = []
for step in range(3):
    opt.zero_grad()
    resid = (model(X) - y).squeeze(-1)
    batch = resid.view(4, 8).abs()
    mae_rows = batch.median(dim=1).values.mean()
    mae_all = resid.abs().median()
    trimmed = torch.kthvalue(batch, 6, dim=1).values.mean()
    tau = 0.8
    q = torch.quantile(resid, tau)
    pinball = torch.maximum(tau * (resid - q), (tau - 1) * (resid - q)).mean()
    loss = mae_rows + mae_all + 0.5 * trimmed + pinball
    loss.backward()
    opt.step()
    losses.append(round(loss.item(), 6))

# NaN-aware medians, including an all-NaN row (index 0).
nan = float("nan")
scores = torch.tensor(
    [[1.0, nan, 3.0, 2.0], [nan, nan, nan, nan], [4.0, 4.0, nan, 1.0]],
    requires_grad=True,
)
nm = scores.nanmedian(dim=1, keepdim=True)
nm_all = scores.nanmedian()
(nm.values.nan_to_num().sum() + nm_all * 2).backward()
m_nan = torch.tensor([[2.0, nan, 1.0], [3.0, 1.0, 2.0]]).median(dim=1)

# Ties: lower median of an even count, kthvalue through its quickselect.
ties = torch.tensor(
    [[1.0, 1.0, 0.0, 1.0, 1.0, 2.0], [3.0, 3.0, 3.0, 3.0, 0.0, 0.0]],
    dtype=torch.float64,
    requires_grad=True,
)
med = ties.median(dim=-1)
kth = ties.kthvalue(3, dim=1, keepdim=True)
(med.values.sum() + 2 * kth.values.sum() + ties.median()).backward()

# Mode of short and long (> 16, libstdc++ introsort) rows with ties.
votes = torch.randint(0, 4, (3, 40)).float().requires_grad_()
mode = votes.mode(dim=1)
short = torch.tensor([[2.0, 1.0, 2.0, 1.0, 0.0]], requires_grad=True).mode()
(mode.values.sum() + short.values.sum()).backward()

# Running extrema (later ties win) and their scatter_add backward.
seq = torch.tensor(
    [[1.0, 3.0, 3.0, 2.0, 5.0, 5.0], [0.0, -1.0, -1.0, 2.0, -3.0, -3.0]],
    requires_grad=True,
)
run_max = seq.cummax(dim=1)
run_min = seq.cummin(dim=-1)
drawdown = (run_max.values - seq).sum() + run_min.values.sum()
drawdown.backward()
col = torch.randn(5, 3, requires_grad=True)
col.cummax(0).values.sum().backward()

# Class statistics for a class-weighted cross entropy.
labels = torch.tensor([2, 0, 2, 2, 1, 0, 2, 3, 3, 2])
classes, inverse, counts = torch.unique(labels, return_inverse=True, return_counts=True)
freq = torch.bincount(labels, minlength=5).double()
weight = (freq.sum() / (freq.clamp(min=1) * 5)).float()
logits = torch.randn(10, 5, requires_grad=True)
F.cross_entropy(logits, labels, weight=weight).backward()
runs = torch.unique_consecutive(
    torch.tensor([1, 1, 2, 2, 3, 1, 1]), return_inverse=True, return_counts=True
)
rows = torch.unique(torch.tensor([[1, 2], [1, 2], [0, 1]]), dim=0, return_counts=True)
cols = torch.unique_consecutive(torch.tensor([[1, 1, 2], [1, 1, 2]]), dim=1)
floats = torch.unique(torch.tensor([1.5, -0.0, 0.0, 1.5, 2.0]), return_counts=True)

# Residual histogram, sparsity counts and pairwise index sets.
with torch.no_grad():
    r = (model(X) - y).squeeze(-1)
hist = torch.histc(r, bins=6)
hist_range = torch.histc(r.double(), bins=4, min=-2, max=2)
nonzero = torch.count_nonzero(torch.tensor([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]]), dim=1)
nonzero_all = torch.count_nonzero(torch.tensor([[0, 1], [2, 0]]))
lower = torch.tril_indices(4, 4, offset=-1)
upper = torch.triu_indices(3, 5, offset=1)
emb = torch.randn(4, 3, requires_grad=True)
d = emb[lower[0]] - emb[lower[1]]
d.pow(2).sum().backward()

print(losses, nm.indices.tolist(), float(nm_all), m_nan.indices.tolist())
print(med.indices.tolist(), kth.indices.tolist(), ties.grad.tolist())
print(mode.values.tolist(), mode.indices.tolist(), short.indices.tolist())
print(run_max.indices.tolist(), run_min.indices.tolist(), seq.grad.tolist())
print(classes.tolist(), inverse.tolist(), counts.tolist(), weight.tolist())
print([t.tolist() for t in runs], [t.tolist() for t in rows], cols.tolist(), [t.tolist() for t in floats])
print(hist.tolist(), hist_range.tolist(), nonzero.tolist(), int(nonzero_all))
print(lower.tolist(), upper.tolist(), emb.grad.tolist())
