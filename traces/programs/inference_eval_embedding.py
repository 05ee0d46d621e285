"""A metric-learning embedding model's evaluation report, written under
`torch.inference_mode()` with the composites that mode lets a dispatch mode
see whole.

A small embedding network (two linear layers, L2-normalised output) is
trained three Adam steps with `nn.TripletMarginLoss` on anchor / positive /
negative batches drawn from four synthetic classes (there every composite
decomposes before the mode). The validation report then runs in inference
mode, the way a retrieval project's `evaluate()` does:

* the training objective and its relatives on held-out triplets and pairs:
  `triplet_margin_loss` (p = 1 and 2, `swap=True`, every reduction),
  `margin_ranking_loss` on similarity scores, `cosine_embedding_loss`
  (1-d targets and a 0-d one), `hinge_embedding_loss` on distances,
  `poisson_nll_loss` on neighbour counts (log and linear inputs, `full`);
* similarity matrices with `einsum` (`"nd,md->nm"`, batched
  `"bnd,bmd->bnm"`, a diagonal `"ii->i"`, a trace-like `"ij,ij->"`,
  implicit output, an ellipsis) and `tensordot` (matrix, all dimensions
  contracted: `dot`, outer product);
* retrieval hits from `argwhere` and `nonzero(as_tuple=True)`;
* the embedding's `cov` (correction, frequency and analytic weights) and
  `corrcoef`, a whitening check through `.mH` / `.adjoint()`;
* embedding norms with `torch.linalg.norm` (default, along a dimension,
  matrix orders 1 / inf / -inf / "fro", 2 / -2 / "nuc" from singular
  values, `keepdim`) and `torch.norm`;
* `atleast_1d` / `2d` / `3d` of scalars and vectors (one and several
  tensors), and `cartesian_prod` enumerating query/gallery pairs.
"""

import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)
D, K = 8, 4


class Embedder(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, D))

    def forward(self, x):
        return F.normalize(self.body(x), dim=-1)


centres = torch.randn(K, 6) * 2


def sample(n):
    labels = torch.randint(0, K, (n,))
    return centres[labels] + 0.3 * torch.randn(n, 6), labels


def triplets(n):
    x, y = sample(n)
    pos = centres[y] + 0.3 * torch.randn(n, 6)
    neg = centres[(y + 1) % K] + 0.3 * torch.randn(n, 6)
    return x, pos, neg


net = Embedder()
criterion = nn.TripletMarginLoss(margin=0.5)
opt = torch.optim.Adam(net.parameters(), lr=0.01)
for _ in range(3):
    a, p, n = triplets(8)
    opt.zero_grad()
    criterion(net(a), net(p), net(n)).backward()
    opt.step()

net.eval()
va, vp, vn = triplets(6)
gallery_x, gallery_y = sample(10)
query_x, query_y = sample(5)
pair_target = torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
counts = torch.tensor([[0.0, 1.0, 3.0], [2.0, 5.0, 1.0], [4.0, 0.0, 2.0]])
freq = torch.tensor([1, 2, 1, 3, 1, 1])
weights = torch.tensor([0.5, 1.0, 2.0, 1.0, 0.25, 1.5])
report = {}
with torch.inference_mode():
    ea, ep, en = net(va), net(vp), net(vn)
    eg, eq = net(gallery_x), net(query_x)

    # Losses on held-out triplets and pairs.
    report["triplet"] = criterion(ea, ep, en)
    report["triplet_l1_swap"] = F.triplet_margin_loss(ea, ep, en, margin=0.3, p=1, swap=True)
    report["triplet_none"] = F.triplet_margin_loss(ea, ep, en, reduction="none")
    report["triplet_sum"] = F.triplet_margin_loss(ea, ep, en, margin=1.0, reduction="sum")
    s_pos = (ea * ep).sum(-1)
    s_neg = (ea * en).sum(-1)
    ones = torch.ones_like(s_pos)
    report["ranking"] = F.margin_ranking_loss(s_pos, s_neg, ones, margin=0.2)
    report["ranking_none"] = F.margin_ranking_loss(s_pos, s_neg, -ones, margin=0.1, reduction="none")
    report["ranking_sum"] = F.margin_ranking_loss(s_neg, s_pos, pair_target, reduction="sum")
    report["cosine"] = F.cosine_embedding_loss(ea, torch.cat([ep[:3], en[3:]]), pair_target, margin=0.1)
    report["cosine_none"] = F.cosine_embedding_loss(ea, en, -torch.ones(6), reduction="none")
    report["cosine_0d"] = F.cosine_embedding_loss(ea[0], ep[0], torch.tensor(1.0))
    dist = F.pairwise_distance(ea, torch.cat([ep[:3], en[3:]]))
    report["hinge"] = F.hinge_embedding_loss(dist, pair_target, margin=1.5)
    report["hinge_none"] = F.hinge_embedding_loss(dist, pair_target, reduction="none")
    rate = eg[:3, :3].abs() * 4
    report["poisson"] = F.poisson_nll_loss(rate.log(), counts)
    report["poisson_linear"] = F.poisson_nll_loss(rate, counts, log_input=False, reduction="sum")
    report["poisson_full"] = F.poisson_nll_loss(rate, counts, log_input=False, full=True, reduction="none")

    # Similarity matrices.
    sim = torch.einsum("nd,md->nm", eq, eg)
    report["sim"] = sim
    report["sim_batched"] = torch.einsum("bnd,bmd->bnm", torch.stack([ea, ep]), torch.stack([en, ea]))
    report["self_sim"] = torch.einsum("ii->i", torch.einsum("nd,md->nm", ea, ea))
    report["agreement"] = torch.einsum("ij,ij->", ea, ep)
    report["implicit"] = torch.einsum("ij,jk", eq, eg.T)
    report["ellipsis"] = torch.einsum("...d,d->...", torch.stack([ea, ep]), eq[0])
    report["per_row"] = torch.einsum("bi,bi->b", ea, en)
    report["three"] = torch.einsum("nd,de,me->nm", eq, torch.eye(D) * 2, eg)
    report["sim_td"] = torch.tensordot(eq, eg, dims=([1], [1]))
    report["dot_td"] = torch.tensordot(ea, ep, dims=2)
    report["outer_td"] = torch.tensordot(eq[0], eg[0], dims=0)
    report["proj_td"] = torch.tensordot(torch.stack([ea, ep]), eq[0], dims=1)

    # Retrieval hits.
    nearest = sim.argmax(dim=1)
    hits = gallery_y[nearest] == query_y
    report["hit_rows"] = torch.argwhere(hits)
    report["close_pairs"] = torch.argwhere(sim > 0.5)
    rows, cols = torch.nonzero(sim > 0.0, as_tuple=True)
    report["rows"], report["cols"] = rows, cols
    (single,) = torch.nonzero(hits.any(), as_tuple=True)
    report["single"] = single

    # Embedding statistics.
    emb = torch.cat([ea, ep])
    report["cov"] = torch.cov(emb.T)
    report["cov_biased"] = torch.cov(emb[:6].T, correction=0)
    report["cov_fw"] = torch.cov(ea.T, fweights=freq)
    report["cov_aw"] = torch.cov(ea.T, aweights=weights)
    report["cov_both"] = torch.cov(ea.T, correction=2, fweights=freq, aweights=weights)
    report["var_1d"] = torch.cov(ea[:, 0])
    report["corr"] = torch.corrcoef(emb.T)
    report["corr_1d"] = torch.corrcoef(ea[:, 1])
    c = report["cov"]
    report["sym"] = (c - c.mH).abs().max()
    report["sym_adj"] = (c.adjoint() - c).abs().sum()
    report["batch_adj"] = torch.stack([ea, ep]).mH

    # Norms.
    report["norm"] = torch.linalg.norm(eg)
    report["norm_rows"] = torch.linalg.norm(eg - eq.mean(0), dim=1)
    report["norm_l1"] = torch.linalg.norm(ea, ord=1, dim=-1, keepdim=True)
    report["norm_inf"] = torch.linalg.norm(ea, ord=float("inf"))
    report["norm_minf"] = torch.linalg.norm(ea, ord=-float("inf"), dim=(1, 0), keepdim=True)
    report["norm_one"] = torch.linalg.norm(ea, ord=1)
    report["norm_fro"] = torch.linalg.norm(torch.stack([ea, ep]), ord="fro", dim=(1, 2))
    report["norm_vec3"] = torch.linalg.norm(ea[0], ord=3)
    report["norm_torch"] = torch.norm(ea, dim=1)
    report["spectral"] = torch.linalg.norm(ea, ord=2)
    report["nuclear"] = torch.linalg.norm(torch.stack([ea, ep]), ord="nuc", dim=(2, 1), keepdim=True)
    report["smallest"] = torch.linalg.norm(ea, ord=-2, dim=(1, 0))

    # Shapes and pairs.
    report["t1"] = torch.atleast_1d(report["norm"])
    report["t2"] = torch.atleast_2d(report["norm_rows"])
    report["t3"] = torch.atleast_3d(report["norm"])
    report["t3v"] = torch.atleast_3d(report["norm_rows"])
    report["t3m"] = torch.atleast_3d(sim)
    report["same"] = torch.atleast_2d(sim)
    report["many"] = torch.atleast_1d(report["norm"], report["norm_rows"])
    report["many2"] = torch.atleast_2d((report["norm"], report["norm_rows"], sim))
    report["many3"] = torch.atleast_3d(report["norm"], report["norm_rows"])
    report["pairs"] = torch.cartesian_prod(torch.arange(3), torch.arange(4))
    report["triples"] = torch.cartesian_prod(query_y[:2], gallery_y[:3], torch.tensor([0, 1]))
    report["alone"] = torch.cartesian_prod(query_y)

    summary = {
        k: round(float(v.float().sum()), 4) if torch.is_tensor(v) else len(v)
        for k, v in report.items()
    }
