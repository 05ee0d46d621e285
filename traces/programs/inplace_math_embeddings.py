"""In-place math and comparison forms as embedding and tabular code writes
them, with gradients through them: a TransE-style knowledge-graph model
whose entity table is kept on the unit ball by `weight.data.renorm_(2, 0, 1)`
and an ArcFace head initialised with `uniform_(-1, 1).renorm_(2, 1,
1e-5).mul_(1e5)`; image-token features spliced into a text sequence with
`masked_scatter_` (as multimodal decoders do); a count-data head whose loss
uses `lgamma_`, `log2_`, `log10_`, `erf_`, `erfinv_`, `expm1_`, `exp2_`,
`sinc_`, `frac_` and `logit_` on intermediates (each clones the original
`self` first where its derivative reads it: ErfBackward0, Log2Backward0 ...;
`expm1_`/`exp2_` save their result; `frac_` nothing); `nan_to_num_` in the
graph and on gradients before the optimiser step; and the in-place
comparisons (`eq_`, `ne_`, `gt_`, `ge_`, `lt_`, `le_`, Scalar and Tensor)
on masks and on a tensor that requires grad (EqBackward0 / GtBackward1:
zero gradients, `other`'s made first)."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)
N_ENT, N_REL, D = 6, 3, 4
ent = nn.Embedding(N_ENT, D)
rel = nn.Embedding(N_REL, D)
arc_w = nn.Parameter(torch.empty(D, 3))
arc_w.data.uniform_(-1, 1).renorm_(2, 1, 1e-5).mul_(1e5)
count_head = nn.Linear(D, 2)
img_proj = nn.Linear(3, D)
params = list(ent.parameters()) + list(rel.parameters()) + [arc_w] + list(count_head.parameters()) + list(img_proj.parameters())
opt = torch.optim.SGD(params, lr=0.05)

heads = torch.tensor([0, 1, 2, 3])
rels = torch.tensor([0, 1, 2, 0])
tails = torch.tensor([1, 2, 3, 4])
neg_tails = torch.tensor([5, 0, 4, 2])
labels = torch.tensor([0, 2, 1, 2])
counts = torch.tensor([0.0, 3.0, 1.0, 7.0])
image_mask = torch.tensor([[False, True, True, False], [False, False, True, True]]).unsqueeze(-1).expand(2, 4, D)
image_feats = torch.randn(4, 3)
text_ids = torch.tensor([[1, 0, 0, 2], [3, 4, 0, 0]])
alibi = torch.tensor([[[0.0, -0.5]]])

for step in range(2):
    with torch.no_grad():
        ent.weight.data.renorm_(2, 0, 1.0)
    h, r, t, tn = ent(heads), rel(rels), ent(tails), ent(neg_tails)
    pos = (h + r - t).norm(p=2, dim=1)
    neg = (h + r - tn).norm(p=2, dim=1)
    loss_kg = F.relu(1.0 + pos - neg).mean()

    # ArcFace-style cosine logits with an additive angular margin
    emb = F.normalize(h + r, dim=1)
    w = F.normalize(arc_w, dim=0)
    cos = (emb @ w).clamp(-1 + 1e-7, 1 - 1e-7)
    theta = torch.acos(cos)
    target = F.one_hot(labels, 3).bool()
    logits = torch.where(target, torch.cos(theta + 0.3), cos) * 8.0
    loss_arc = F.cross_entropy(logits, labels)

    # image tokens spliced into the text embeddings in place
    seq = ent(text_ids).clone()
    seq.masked_scatter_(image_mask, img_proj(image_feats))
    loss_mm = seq.pow(2).mean()

    # count head: Poisson log-likelihood with in-place special functions
    out = count_head(h)
    rate = out[:, 0].clone().expm1_().abs().add(1e-3)
    lg = (counts + 1).clone().lgamma_()
    ll = counts * rate.clone().log2_() * 0.6931471805599453 - rate - lg
    u = out[:, 1].clone()
    bits = u.sigmoid().clone().log10_() + u.tanh().clone().erf_() + (u.sigmoid() * 1.8 - 0.9).erfinv_()
    bits = bits + u.clone().exp2_() * 0.01 + u.clone().sinc_() + u.clone().frac_() + u.sigmoid().clamp(0.05, 0.95).logit_(1e-6)
    ratio = rate / (rate - rate.detach())  # nan where rate == rate.detach()
    bits = bits + ratio.clone().nan_to_num_(0.0, 1.0, -1.0)
    loss_count = -ll.mean() + bits.pow(2).mean() * 0.1

    # in-place comparisons: masks, and a step function of a graph tensor
    keep = text_ids.clone().float()
    keep.ne_(0)
    first = text_ids.clone().float().eq_(1.0)
    bigger = pos.clone().gt_(neg)
    close = pos.clone().le_(neg.detach() + 0.5)
    loss_cmp = (bigger + close).sum() * 0.0 + (keep.sum() - first.sum()) * 0.0
    thr = h.sum(1).clone()
    thr.ge_(0.0)
    thr2 = r.sum(1).clone().lt_(t.sum(1))

    # binary and matrix in-place forms
    q = (h + r).unsqueeze(1)  # (4, 1, D)
    k = torch.stack([t, tn], 1)  # (4, 2, D)
    scores = alibi.expand(4, 1, 2).clone().baddbmm_(q, k.transpose(1, 2), beta=1.0, alpha=D ** -0.5)
    attn = scores.softmax(-1)
    wmat = count_head.weight.clone().addr_(out.mean(0), h.mean(0), alpha=0.1)
    wvec = count_head.bias.clone().addmv_(wmat, h[0], beta=0.5)
    xy = (h[:, :2] + r[:, :2]).clone()
    ang = xy[:, 1].clone().atan2_(xy[:, 0]).rad2deg_().deg2rad_()
    rad = xy[:, 0].clone().hypot_(xy[:, 1])
    signed = rad.clone().copysign_(xy[:, 1]) + rad.clone().copysign_(-1.0)
    kappa = rad.clone().add_(0.5)
    vm = kappa * torch.cos(ang - 0.3) - kappa.clone().i0_().log()
    p_attn = attn.clone()
    entropy = -(p_attn.clone().xlogy_(p_attn).sum(-1)) + attn.clone().xlogy_(2.0).mean(-1)
    mvl = (kappa + 2.0).clone().mvlgamma_(2)
    loss_bin = -vm.mean() + entropy.mean() + wvec.pow(2).sum() + signed.mean() * 0.1 + mvl.mean() * 0.01
    with torch.no_grad():
        readout = attn.detach().clone().round_(decimals=2)

    loss = loss_kg + loss_arc + loss_mm + loss_count + loss_cmp + thr.sum() + thr2.sum() + loss_bin
    opt.zero_grad()
    loss.backward()
    for p in params:
        p.grad.nan_to_num_(nan=0.0, posinf=1.0, neginf=-1.0)
    opt.step()
print(loss.item(), readout)
