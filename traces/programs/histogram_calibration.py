"""Histograms around a small training run: the activation and gradient
histograms a training loop logs, a histogram-based int8 calibration of the
activations and joint histograms of features.

An MLP is trained three SGD steps; after each step the loop logs, as a
TensorBoard-style logger would, `torch.histogram` of the hidden
activations (data range, `histogram.bin_ct`), of each parameter's gradient
(with `density=True`) and of the first layer's weights over fixed edges
given as a tensor (`histogram.bins_tensor`); a parameter histogrammed
without `detach` gets PyTorch's `NotImplemented` node. Calibration then collects a
64-bin histogram of |activation| over an explicit range, weighted by a
per-sample importance, picks the clipping threshold at the 99.9th
percentile of the cumulative histogram and fake-quantises with it. Around
it: `torch.histogramdd` of two hidden units (bin counts per dimension,
`_histogramdd_bin_edges` + `_histogramdd_from_bin_cts`) for a mutual
information estimate in float64 with weights and `density=True`, an
explicit `range`, a 3-d histogram over a batch of points with edges given as
tensors (`_histogramdd_from_bin_tensors`), values on the bin edges, NaN and
inf among the values with an explicit range (skipped), an empty input, a
constant input (its range widened by 0.5), and PyTorch's refusals: the
range of data with NaN, `min > max`, a weight of another dtype, a 1-d
input to `histogramdd`, an integer input.
"""

import torch
import torch.nn.functional as F

torch.manual_seed(0)
X = torch.randn(64, 6)
y = (X[:, :2].sum(1, keepdim=True) > 0).float()
model = torch.nn.Sequential(
    torch.nn.Linear(6, 12), torch.nn.ReLU(), torch.nn.Linear(12, 1)
)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
weight_edges = torch.linspace(-0.5, 0.5, 11)
log = []
for step in range(3):
    opt.zero_grad()
    hidden = model[1](model[0](X))
    loss = F.binary_cross_entropy_with_logits(model[2](hidden), y)
    loss.backward()
    opt.step()
    acts = hidden.detach()
    counts, edges = torch.histogram(acts, bins=20)
    log.append((step, loss.item(), counts.tolist(), edges[-1].item()))
    for name, p in model.named_parameters():
        g_hist, g_edges = torch.histogram(p.grad, bins=8, density=True)
        log.append((name, g_hist.sum().item(), g_edges.tolist()))
    w_hist, _ = torch.histogram(model[0].weight.detach(), weight_edges)
    log.append(("weight", w_hist.tolist()))
# A parameter histogrammed without detach: PyTorch's autograd fallback
# records a NotImplemented node on both outputs.
b_hist, b_edges = torch.histogram(model[2].weight, bins=4)
print(b_hist.requires_grad, b_edges.grad_fn is not None)
for entry in log:
    print(entry)

# Histogram calibration of the hidden activations for int8.
with torch.no_grad():
    calib = torch.randn(256, 6)
    h = model[1](model[0](calib))
    importance = torch.rand(256, 1).expand(256, 12).contiguous()
    top = h.abs().max().item()
    hist, edges = torch.histogram(
        h.abs(), bins=64, range=(0.0, top), weight=importance
    )
    cdf = hist.cumsum(0) / hist.sum()
    idx = int((cdf < 0.999).sum().item())
    threshold = edges[min(idx + 1, 64)].item()
    scale = threshold / 127.0
    q = torch.clamp(torch.round(h / scale), -128, 127) * scale
    print("threshold", threshold, "mse", F.mse_loss(q, h).item())
    density, _ = torch.histogram(h.abs(), bins=64, range=(0.0, top), density=True)
    print("density integral", (density * (top / 64)).sum().item())

    # Mutual information between two hidden units from a joint histogram.
    pair = h[:, :2].double()
    joint = torch.histogramdd(
        pair, bins=[6, 5], weight=importance[:, 0].double(), density=False
    )
    pxy = joint.hist / joint.hist.sum()
    px, py = pxy.sum(1, keepdim=True), pxy.sum(0, keepdim=True)
    nz = pxy > 0
    mi = (pxy[nz] * (pxy[nz] / (px * py)[nz]).log()).sum()
    print("mutual information", mi.item(), [e.tolist() for e in joint.bin_edges])
    dens = torch.histogramdd(
        pair, bins=4, range=[-1.0, 3.0, -1.0, 3.0], density=True
    )
    print("joint density", dens.hist.tolist())

    # A 3-d histogram of a batch of points over given edges.
    points = torch.randn(4, 30, 3)
    cube = torch.histogramdd(
        points,
        bins=[
            torch.linspace(-2.0, 2.0, 5),
            torch.tensor([-3.0, -0.5, 0.0, 0.5, 3.0]),
            torch.tensor([-1.0, 1.0]),
        ],
        weight=torch.rand(4, 30),
    )
    print("cube", cube.hist.sum().item(), cube.hist.shape)
    cnt = torch.histogramdd(points.view(-1, 3)[:, 1:], bins=(3, 7))
    print("counts", cnt.hist.tolist())

# Edge cases: values on the edges, NaN and inf skipped with a range, an
# empty input, a constant input.
on_edges = torch.linspace(0.0, 1.0, 11)
print(torch.histogram(on_edges, bins=10, range=(0.0, 1.0)).hist.tolist())
print(torch.histogram(on_edges.double(), bins=on_edges.double()).hist.tolist())
odd = torch.tensor([0.25, float("nan"), 0.5, float("inf"), -float("inf"), 1.0])
print(torch.histogram(odd, bins=4, range=(0.0, 1.0)).hist.tolist())
empty = torch.histogram(torch.tensor([]), bins=3)
print(empty.hist.tolist(), empty.bin_edges.tolist())
const = torch.histogram(torch.full((5,), 2.0), bins=2)
print(const.hist.tolist(), const.bin_edges.tolist())

# PyTorch's refusals.
for attempt in (
    lambda: torch.histogram(odd, bins=4),
    lambda: torch.histogram(on_edges, bins=4, range=(1.0, 0.0)),
    lambda: torch.histogram(on_edges, bins=4, weight=on_edges.double()),
    lambda: torch.histogramdd(on_edges, bins=[3]),
    lambda: torch.histogram(torch.arange(5), bins=2),
):
    try:
        attempt()
    except (RuntimeError, NotImplementedError) as err:
        print(type(err).__name__, err)
