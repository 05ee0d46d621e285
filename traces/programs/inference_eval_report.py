"""An end-of-epoch evaluation report written under `torch.inference_mode()`,
with the composites that mode lets a dispatch mode see whole.

A small sequence tagger (a circular-padded `Conv1d` over the time axis and
a linear head) is trained three AdamW steps with
`nn.CrossEntropyLoss(label_smoothing=0.1)` on logits laid out `(N, C, T)`
(there every composite decomposes before the mode), then evaluated in
inference mode the way a training script's `validate()` does:

* the same smoothed loss, and `F.cross_entropy` with label smoothing over
  `(N, C)` rows with class weights, `ignore_index`, and every reduction;
  mixup-style probability targets (with and without smoothing and
  weights); per-token perplexity from the unsmoothed `(N, C, T)` loss;
* the loss distribution's `torch.quantile` / `nanquantile` in every
  interpolation mode, over all values and along a dimension (`keepdim`,
  tensor and float `q`), with padding positions set to NaN;
* targets written in place before the mode and reshaped in it (the view a
  composite returns there has a version counter of its own);
* thresholds built with `torch.tensor(...)` inside the mode (its
  `detach_`), a calibration error whose bins are skipped with
  `if mask.any():`, a confusion matrix's `diag` and `.T`;
* `F.pad(mode="circular")` over one, two and three dimensions (batched and
  unbatched, a negative pad cropping);
* nearest-neighbour retrieval with `torch.cdist` (few rows: the direct
  kernel; more than 25: the matrix-product path, batched too);
* a segmentation-style check resizing per-token scores with
  `F.interpolate` (nearest, nearest-exact, linear, bilinear, bicubic,
  trilinear; sizes and scale factors) and variable-length outputs gathered
  with `pad_sequence` (batch first, left padding).
"""

import torch
from torch import nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

torch.manual_seed(0)
C, T = 4, 12


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 8, 3, padding=1, padding_mode="circular")
        self.head = nn.Conv1d(8, C, 1)

    def forward(self, x):
        return self.head(torch.tanh(self.conv(x)))


net = Tagger()
x, y = torch.randn(6, 3, T), torch.randint(0, C, (6, T))
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
opt = torch.optim.AdamW(net.parameters(), lr=0.01)
for _ in range(3):
    opt.zero_grad()
    criterion(net(x), y).backward()
    opt.step()

net.eval()
xv, yv = torch.randn(5, 3, T), torch.randint(0, C, (5, T))
yv[0, :3] = -100  # padding positions, written in place (version 1)
weight = torch.tensor([1.0, 2.0, 0.5, 1.5])
report = []
with torch.inference_mode():
    logits = net(xv)  # (N, C, T)
    val_loss = criterion(logits, yv)
    token_nll = F.cross_entropy(logits, yv, reduction="none")  # (N, T)
    ppl = torch.exp(F.cross_entropy(logits, yv))
    rows = logits.transpose(1, 2).reshape(-1, C)
    flat = yv.reshape(-1)  # a view with a version counter of its own
    keep = flat.clamp(min=0)
    smoothed = [
        F.cross_entropy(rows, flat, label_smoothing=0.1),
        F.cross_entropy(rows, flat, label_smoothing=0.2, reduction="sum"),
        F.cross_entropy(rows, flat, label_smoothing=0.05, reduction="none").sum(),
        F.cross_entropy(rows, flat, weight=weight, label_smoothing=0.1),
        F.cross_entropy(rows, flat, weight=weight, label_smoothing=0.1, reduction="none").mean(),
        F.cross_entropy(rows, keep, weight=weight, label_smoothing=0.3, reduction="sum", ignore_index=2),
        F.cross_entropy(logits, yv, label_smoothing=0.1, reduction="none").mean(),
        F.cross_entropy(rows[0], flat[5], label_smoothing=0.1),
    ]
    # mixup targets: a convex mix of one-hot labels
    mix = 0.7 * F.one_hot(keep, C).float() + 0.3 * F.one_hot(keep.flip(0), C).float()
    soft = [
        F.cross_entropy(rows, mix),
        F.cross_entropy(rows, mix, label_smoothing=0.1, weight=weight),
        F.cross_entropy(rows, mix, reduction="sum"),
        F.cross_entropy(rows, mix, weight=weight, reduction="none").mean(),
        F.cross_entropy(logits, mix.view(5, T, C).transpose(1, 2), label_smoothing=0.2),
    ]
    report += [round(v.item(), 4) for v in [val_loss, ppl] + smoothed + soft]

    # loss quantiles; ignored tokens become NaN for nanquantile
    per_token = token_nll.masked_fill(yv == -100, float("nan"))
    qs = torch.tensor([0.1, 0.5, 0.9])
    for mode in ["linear", "lower", "higher", "midpoint", "nearest"]:
        report.append(torch.quantile(token_nll, qs, interpolation=mode).sum().item())
        report.append(torch.nanquantile(per_token, 0.75, dim=1, interpolation=mode).sum().item())
    report.append(torch.quantile(token_nll, 0.5, dim=0, keepdim=True).sum().item())
    report.append(torch.quantile(token_nll.double(), qs.double(), dim=-1, keepdim=True).sum().item())
    report.append(torch.nanquantile(per_token, qs, dim=0).nansum().item())
    report.append(torch.quantile(per_token, 0.5, dim=1).isnan().sum().item())

    # calibration: confidence bins from thresholds made in the mode
    prob = logits.softmax(1).transpose(1, 2).reshape(-1, C)
    conf, pred = prob.max(1)
    valid = flat != -100
    edges = torch.tensor([0.0, 0.4, 0.55, 0.7, 1.0])
    ece = torch.zeros(())
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi) & valid
        if m.any():
            gap = conf[m].mean() - (pred[m] == flat[m]).float().mean()
            ece += m.float().sum() / valid.sum() * gap.abs()
    z = conf.clone()
    z.detach_()
    cm = torch.bincount(keep[valid] * C + pred[valid], minlength=C * C).view(C, C)
    recall = cm.diag() / cm.sum(1).clamp(min=1)
    precision = cm.T.diag() / cm.T.sum(1).clamp(min=1)
    report += [round(ece.item(), 5), recall.sum().item(), precision.sum().item(), z.sum().item()]

    # circular padding of the inputs (1-d, 2-d, 3-d; unbatched; cropping)
    p1 = F.pad(xv, (2, 1), mode="circular")
    p1u = F.pad(xv[0], (1, 3), mode="circular")
    p1n = F.pad(xv, (-2, 1), mode="circular")
    img = logits.unsqueeze(1)  # (N, 1, C, T)
    p2 = F.pad(img, (1, 2, 2, 1), mode="circular")
    p2u = F.pad(img[0], (0, 2, 1, 0), mode="circular")
    vol = logits.view(5, 1, 2, 2, T)
    p3 = F.pad(vol, (1, 1, 1, 0, 1, 1), mode="circular")
    report += [round(t.sum().item(), 4) for t in [p1, p1u, p1n, p2, p2u, p3]]

    # retrieval: nearest training window per validation window
    q_emb = F.normalize(logits.mean(2), dim=1)
    k_emb = F.normalize(net(x).mean(2), dim=1)
    d_small = torch.cdist(q_emb, k_emb)
    d_l1 = torch.cdist(q_emb, k_emb, p=1)
    d_inf = torch.cdist(q_emb, k_emb, p=float("inf"))
    bank = torch.randn(40, C)
    d_mm = torch.cdist(rows, bank)  # 60 x 40 rows: the matrix-product path
    d_batch = torch.cdist(logits.transpose(1, 2), bank[:30].expand(5, 30, C))
    d_forced = torch.cdist(q_emb, k_emb, compute_mode="use_mm_for_euclid_dist")
    report += [d_small.argmin(1).tolist(), round(d_l1.sum().item(), 4), round(d_inf.sum().item(), 4)]
    report += [round(t.mean().item(), 3) for t in [d_mm, d_batch, d_forced]]

    # resizing scores to a finer time grid / image grid
    up = [
        F.interpolate(logits, size=2 * T, mode="nearest"),
        F.interpolate(logits, scale_factor=1.5, mode="nearest-exact"),
        F.interpolate(logits, size=20, mode="linear", align_corners=False),
        F.interpolate(logits, scale_factor=2, mode="linear", align_corners=True),
        F.interpolate(img, size=(8, 24), mode="bilinear"),
        F.interpolate(img, scale_factor=(2, 1.5), mode="bicubic", align_corners=True),
        F.interpolate(img, scale_factor=2, mode="nearest"),
        F.interpolate(img, size=(6, 6), mode="bilinear", antialias=True),
        F.interpolate(vol, scale_factor=2, mode="trilinear"),
        F.interpolate(vol, size=(3, 3, 5), mode="nearest"),
    ]
    report += [round(t.abs().mean().item(), 4) for t in up]
    seg = up[4].argmax(2)
    target = F.interpolate(yv.clamp(min=0).float()[:, None, None], size=(1, 24), mode="nearest").view(5, 24)
    report.append(((seg.view(5, 24) == target.long()).float().mean()).item())

    # variable-length predictions gathered for logging
    lengths = [T, 7, 3, 9, 5]
    per_seq = [pred.view(5, T)[i, :n] for i, n in enumerate(lengths)]
    padded = pad_sequence(per_seq, batch_first=True, padding_value=-1)
    left = pad_sequence([conf.view(5, T)[i, :n] for i, n in enumerate(lengths)], padding_side="left")
    report += [padded.sum().item(), round(left.sum().item(), 4), list(left.shape)]

print(report)
