"""A sensor classifier's evaluation report, written under
`torch.inference_mode()` with the everyday composites that mode lets a
dispatch mode see whole.

A small classifier of two-channel sensor windows (per-window
`InstanceNorm1d` with running statistics, a SELU body with alpha dropout,
a ReLU6 head with dropout) and a bilinear pair scorer train three Adam
steps with autograd on (there every composite decomposes before the mode,
dropout draws its masks in the open). The report then runs in inference
mode, the way a project's `evaluate()` does:

* the model in `eval()`: `instance_norm` on running statistics, `selu`,
  `alpha_dropout` / `feature_alpha_dropout` / `dropout` (also in place)
  / `feature_dropout` as identities, `relu6` (and in place), and the
  training loss terms `log_sigmoid` and `bilinear` (with and without a
  bias); `instance_norm` on per-window statistics; dropout at `p = 0` in
  training mode;
* predictions: `take_along_dim` of the top classes (along a dimension,
  negative indices, flattened), `msort` of confidences, `outer` / `ger`
  and `inner` similarity tables (matrices, vectors, a 0-d scale), `kron`
  block designs;
* threshold sweeps on `meshgrid` grids (`ij` and `xy`), windows cut with
  `tensor_split` (sections, indices, a tensor of indices, a 0-d tensor),
  `hsplit` / `vsplit` / `dsplit` (sections and indices);
* layout changes: `movedim` / `moveaxis` (one and several dimensions),
  `swapaxes` / `swapdims`, `ravel` (contiguous and transposed), `tile`,
  `repeat_interleave` (an int, per-row tensor counts, a 0-d count, with
  and without `output_size`);
* calibration and spectra: `special.xlogy` (tensor and scalar other),
  `special.logit` (with and without `eps`), `special.ndtr`,
  `special.sinc`; `det` / `linalg.det`, `linalg.inv` / `inverse`,
  `linalg.solve` (vector and matrix right-hand sides, `left=False`);
  `fft.rfft` (padded, cut, `norm`) and `fft.fftshift` / `ifftshift`.
"""

import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)
C, L, K = 2, 8, 4


class SensorNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.InstanceNorm1d(C, affine=True, track_running_stats=True)
        self.body = nn.Sequential(
            nn.Linear(C * L, 16), nn.SELU(), nn.AlphaDropout(0.1), nn.Linear(16, 16)
        )
        self.act = nn.ReLU6(inplace=True)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(16, K)

    def forward(self, x):
        h = self.norm(x).flatten(1)
        h = self.act(self.body(h))
        return self.head(self.drop(h))


def batch(n):
    labels = torch.randint(0, K, (n,))
    t = torch.linspace(0, 1, L)
    freq = (labels.float() + 1).unsqueeze(1)
    wave = torch.sin(6.28 * freq * t)
    x = torch.stack([wave, wave.cos() * 0.5], dim=1) * 2 + 1 + 0.2 * torch.randn(n, C, L)
    return x, labels


net = SensorNet()
scorer = nn.Bilinear(K, K, 2)
opt = torch.optim.Adam(list(net.parameters()) + list(scorer.parameters()), lr=0.01)
for _ in range(3):
    x, y = batch(8)
    opt.zero_grad()
    logits = net(x)
    pair = scorer(logits, logits.roll(1, 0))
    loss = F.cross_entropy(logits, y) - F.logsigmoid(pair[:, 0] - pair[:, 1]).mean() * 0.1
    loss.backward()
    opt.step()

net.eval()
vx, vy = batch(6)
report = {}
with torch.inference_mode():
    # The model, evaluated.
    logits = net(vx)
    report["logits"] = logits
    h = net.norm(vx).flatten(1)
    report["selu"] = F.selu(net.body[0](h))
    report["alpha"] = F.alpha_dropout(report["selu"], 0.1, training=False)
    report["alpha_p0"] = F.alpha_dropout(report["selu"], 0.0, training=True)
    report["feature_alpha"] = F.feature_alpha_dropout(report["selu"], 0.1, training=False)
    report["feature_drop"] = F.dropout2d(vx.unsqueeze(-1), 0.3, training=False)
    report["drop_p0"] = F.dropout(logits, 0.0, training=True)
    z = net.body[0](h).clone()
    F.selu(z, inplace=True)
    F.alpha_dropout(z, 0.2, training=False, inplace=True)
    F.dropout(z, 0.2, training=False, inplace=True)
    F.feature_alpha_dropout(z, 0.2, training=False, inplace=True)
    torch.feature_dropout_(z, 0.2, False)
    report["z"] = z
    r6 = (logits * 4).clone()
    F.relu6(r6, inplace=True)
    report["relu6_"] = r6
    report["relu6"] = F.relu6(logits * 4)
    report["per_window"] = F.instance_norm(vx, eps=1e-3)
    report["per_window_affine"] = F.instance_norm(
        vx, weight=net.norm.weight, bias=net.norm.bias, running_mean=None, running_var=None
    )
    pair = scorer(logits, logits.roll(1, 0))
    report["pair"] = pair
    report["pair_nobias"] = F.bilinear(logits, logits.flip(0), scorer.weight)
    report["pair_3d"] = F.bilinear(
        torch.stack([logits, logits]), torch.stack([logits, logits.flip(0)]), scorer.weight, scorer.bias
    )
    report["pair_logsig"] = F.logsigmoid(pair[:, 0] - pair[:, 1])
    report["nll"] = -F.logsigmoid(logits).mean()

    # Predictions.
    probs = logits.softmax(-1)
    top_val, top_idx = probs.topk(2, dim=1)
    report["top_logits"] = torch.take_along_dim(logits, top_idx, dim=1)
    report["last_logit"] = torch.take_along_dim(logits, torch.full((6, 1), -1), dim=-1)
    report["bcast_take"] = torch.take_along_dim(logits, top_idx[:1], dim=1)
    report["flat_take"] = torch.take_along_dim(logits, logits.flatten().argsort()[:5])
    report["msort"] = torch.msort(probs)
    report["outer"] = torch.outer(probs[0], probs[1])
    report["ger"] = torch.ger(top_val[:, 0], torch.arange(3.0))
    report["inner"] = torch.inner(probs, probs)
    report["inner_vec"] = torch.inner(probs[0], probs[1])
    report["inner_3d"] = torch.inner(torch.stack([probs, probs.flip(0)]), probs[:3])
    report["inner_0d"] = torch.inner(probs, torch.tensor(2.0))
    report["kron"] = torch.kron(torch.eye(2), probs[:2, :2])
    report["kron_vec"] = torch.kron(probs[0], torch.tensor([1.0, -1.0]))
    report["kron_mixed"] = torch.kron(probs[:3], probs[0].unsqueeze(0))

    # Threshold sweeps and windows.
    ts = torch.linspace(0.1, 0.9, 5)
    ks = torch.arange(1.0, 4.0)
    gi, gj = torch.meshgrid(ts, ks, indexing="ij")
    report["grid_ij"] = (gi * gj).sum()
    report["grid_ij_strides"] = torch.tensor(gi.stride() + gj.stride())
    gx, gy = torch.meshgrid(ts, ks, indexing="xy")
    report["grid_xy"] = gx - gy
    report["grid_xy_strides"] = torch.tensor(gx.stride() + gy.stride())
    conf = probs.max(1).values
    report["sweep"] = (conf.view(-1, 1, 1) > gi).float().mean(0)
    report["thirds"] = torch.tensor_split(vx, 3, dim=2)
    report["uneven"] = torch.tensor_split(vx, 3, dim=-1)
    report["cuts"] = torch.tensor_split(vx, [2, 5], dim=2)
    report["cuts_t"] = torch.tensor_split(vx, torch.tensor([1, 4, 6]), dim=0)
    report["cuts_0d"] = torch.tensor_split(logits, torch.tensor(3), dim=1)
    report["hsplit"] = torch.hsplit(logits, 2)
    report["hsplit_1d"] = torch.hsplit(logits[0], [1, 3])
    report["vsplit"] = torch.vsplit(logits, 3)
    report["vsplit_idx"] = torch.vsplit(logits, [1])
    report["dsplit"] = torch.dsplit(vx, 4)
    report["dsplit_idx"] = torch.dsplit(vx, [3, 7])

    # Layouts.
    report["channels_last"] = torch.movedim(vx, 1, -1)
    report["moved2"] = torch.movedim(vx, [0, 1], [2, 0])
    report["moveaxis"] = torch.moveaxis(vx, 2, 0)
    report["swapaxes"] = torch.swapaxes(vx, 0, 2)
    report["swapdims"] = torch.swapdims(vx, -1, 1)
    report["ravel"] = torch.ravel(logits)
    report["ravel_t"] = torch.ravel(logits.T)
    report["tile"] = torch.tile(probs[:2], (2,))
    report["tile_up"] = torch.tile(probs[0], (2, 1, 2))
    report["rep"] = torch.repeat_interleave(probs[:3], 2, dim=0)
    report["rep_flat"] = torch.repeat_interleave(probs[:2], 3)
    report["rep_size"] = torch.repeat_interleave(probs[:2], 2, dim=1, output_size=8)
    counts = torch.tensor([1, 0, 2, 1, 3, 1])
    report["rep_t"] = torch.repeat_interleave(logits, counts, dim=0)
    report["rep_t_size"] = torch.repeat_interleave(logits, counts, dim=0, output_size=8)
    report["rep_t_0d"] = torch.repeat_interleave(logits[:2], torch.tensor(2))
    report["rep_t_one"] = torch.repeat_interleave(logits[:2], torch.tensor([3]), dim=-1)

    # Calibration and spectra.
    report["xlogy"] = torch.special.xlogy(probs, probs)
    report["xlogy_s"] = torch.special.xlogy(probs, 2.0)
    report["entropy"] = -torch.special.xlogy(probs, probs).sum(1)
    report["logit"] = torch.special.logit(probs, eps=1e-6)
    report["logit_raw"] = torch.special.logit(conf)
    report["ndtr"] = torch.special.ndtr(logits)
    report["sinc"] = torch.special.sinc(logits / 3)
    gram = probs.T @ probs + torch.eye(K) * 0.1
    report["det"] = torch.det(gram)
    report["det_batch"] = torch.linalg.det(torch.stack([gram, gram * 2]))
    report["inv"] = torch.linalg.inv(gram)
    report["inverse"] = torch.inverse(gram[:3, :3])
    report["solve"] = torch.linalg.solve(gram, probs[0])
    report["solve_mat"] = torch.linalg.solve(gram, probs[:2].T)
    report["solve_right"] = torch.linalg.solve(gram, probs[:2], left=False)
    report["spectrum"] = torch.fft.rfft(vx)
    report["spectrum_pad"] = torch.fft.rfft(vx, n=12, dim=-1, norm="ortho")
    report["spectrum_cut"] = torch.fft.rfft(vx[0], n=5, dim=1, norm="forward")
    report["spectrum_dim0"] = torch.fft.rfft(logits, dim=0)
    report["shift"] = torch.fft.fftshift(logits)
    report["shift_dim"] = torch.fft.fftshift(vx, dim=-1)
    report["ishift"] = torch.fft.ifftshift(vx, dim=(0, 2))

    summary = {
        k: round(float(v.abs().float().sum()), 4) if torch.is_tensor(v) else len(v)
        for k, v in report.items()
    }
print(summary)
