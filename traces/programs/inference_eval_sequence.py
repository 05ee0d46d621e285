"""A speech recogniser's and a text classifier's evaluation, written under
`torch.inference_mode()` with the sequence composites that mode lets a
dispatch mode see whole.

Two small models train two Adam steps each with autograd on (there every
composite decomposes before the mode):

* a CTC acoustic model (a linear layer and `log_softmax` over frames)
  scored with `nn.CTCLoss`;
* a bag-of-tokens classifier (`nn.EmbeddingBag` in mean mode with a
  `padding_idx`, then a linear head) trained with cross-entropy.

The validation report then runs in inference mode:

* `F.ctc_loss` / `nn.CTCLoss` on held-out utterances with every reduction,
  `zero_infinity` on and off, targets padded 2-d and concatenated 1-d,
  int64 and int32 targets and lengths, lengths as lists (`ctc_loss.IntList`),
  an utterance too short for its transcript (an infinite loss that
  `zero_infinity` zeroes), an unbatched utterance, `blank` last, float64;
* `nn.EmbeddingBag` / `F.embedding_bag` in sum / mean / max mode, offsets
  with `include_last_offset`, `per_sample_weights`, a padded 2-d batch
  with `padding_idx`, int32 indices with int64 offsets, the trained
  module (whose weight requires grad: `_embedding_bag`) and a plain
  weight (`_embedding_bag_forward_only`);
* `einsum` with an explicit contraction path (`torch._VF.einsum`, as
  `torch.einsum` passes one when opt_einsum plans it), `.mH` / `.mT` /
  `.T` through their `.a` overloads and `.H`, and `cov` of a single
  observation with frequency or analytic weights (ATen zeroes that input
  in place; the input is not read again, as the capture does not see that
  write).
"""

import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)
T, N, C, S, FEAT = 12, 3, 6, 4, 5
V, E, K = 10, 4, 3


class Acoustic(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(FEAT, C)

    def forward(self, frames):
        return self.proj(frames).log_softmax(-1)


class BagClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(V, E, mode="mean", padding_idx=0)
        self.head = nn.Linear(E, K)

    def forward(self, tokens, offsets=None):
        return self.head(self.bag(tokens, offsets))


acoustic, classifier = Acoustic(), BagClassifier()
ctc = nn.CTCLoss(zero_infinity=True)
opt = torch.optim.Adam(list(acoustic.parameters()) + list(classifier.parameters()), lr=0.05)
for _ in range(2):
    frames = torch.randn(T, N, FEAT)
    targets = torch.randint(1, C, (N, S))
    in_lens, tgt_lens = torch.tensor([12, 11, 9]), torch.tensor([4, 3, 2])
    tokens, labels = torch.randint(0, V, (4, 5)), torch.randint(0, K, (4,))
    loss = ctc(acoustic(frames), targets, in_lens, tgt_lens)
    loss = loss + F.cross_entropy(classifier(tokens), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()

frames = torch.randn(T, N, FEAT)
targets = torch.randint(1, C, (N, S))
in_lens, tgt_lens = torch.tensor([12, 10, 9]), torch.tensor([4, 3, 2])
concatenated = torch.cat([targets[i, : tgt_lens[i]] for i in range(N)])
short = torch.tensor([2, 12, 9])
tokens = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9])
offsets = torch.tensor([0, 3, 3, 6])
weights = torch.rand(8)
table = torch.randn(V, E)

report = {}
with torch.inference_mode():
    log_probs = acoustic(frames)
    for reduction in ("none", "mean", "sum"):
        code = {"none": 0, "mean": 1, "sum": 2}[reduction]
        for zero_inf in (False, True):
            key = f"{reduction}/{zero_inf}"
            report["ctc/" + key] = F.ctc_loss(
                log_probs, targets, in_lens, tgt_lens, reduction=reduction, zero_infinity=zero_inf
            )
            report["ctc1d/" + key] = F.ctc_loss(
                log_probs, concatenated, in_lens, tgt_lens, reduction=reduction, zero_infinity=zero_inf
            )
            report["ctc32/" + key] = F.ctc_loss(
                log_probs, targets.int(), in_lens.int(), tgt_lens.int(),
                reduction=reduction, zero_infinity=zero_inf,
            )
            report["ctclist/" + key] = torch.ctc_loss(
                log_probs, targets, [12, 10, 9], [4, 3, 0], 0, code, zero_inf
            )
            report["ctcshort/" + key] = F.ctc_loss(
                log_probs, targets, short, tgt_lens, reduction=reduction, zero_infinity=zero_inf
            )
            report["ctcshortlist/" + key] = torch.ctc_loss(
                log_probs, targets, [2, 12, 9], [4, 3, 2], 0, code, zero_inf
            )
            report["ctcone/" + key] = F.ctc_loss(
                log_probs[:, 0], targets[0], in_lens[0], tgt_lens[0],
                reduction=reduction, zero_infinity=zero_inf,
            )
            report["ctconelist/" + key] = torch.ctc_loss(
                log_probs[:, 1], targets[1, :3], [10], [3], 0, code, zero_inf
            )
    report["ctc/module"] = ctc(log_probs, targets, short, tgt_lens)
    report["ctc/blank-last"] = nn.CTCLoss(blank=C - 1)(log_probs.double(), targets - 1, in_lens, tgt_lens)

    report["bag/module"] = classifier(tokens.view(2, 4))
    report["bag/module-offsets"] = classifier.bag(tokens, offsets)
    for mode in ("sum", "mean", "max"):
        report[f"bag/{mode}"] = F.embedding_bag(tokens, table, offsets, mode=mode)
        report[f"bag/{mode}/last"] = F.embedding_bag(
            tokens, table, torch.tensor([0, 3, 3, 6, 8]), mode=mode, include_last_offset=True
        )
        report[f"bag/{mode}/padded"] = F.embedding_bag(tokens.view(2, 4), table, mode=mode, padding_idx=4)
        report[f"bag/{mode}/int32"] = F.embedding_bag(tokens.int(), table, offsets, mode=mode)
        report[f"bag/{mode}/all"] = torch.embedding_bag(
            table, tokens, offsets, False, {"sum": 0, "mean": 1, "max": 2}[mode]
        )
    report["bag/weighted"] = F.embedding_bag(tokens, table, offsets, mode="sum", per_sample_weights=weights)
    report["bag/weighted-padded"] = F.embedding_bag(
        tokens, table, offsets, mode="sum", per_sample_weights=weights, padding_idx=2
    )
    report["bag/float64"] = F.embedding_bag(tokens, table.double(), offsets, mode="sum")

    a, b, c = torch.randn(3, 4), torch.randn(4, 5), torch.randn(5, 2)
    report["einsum/path-right"] = torch._VF.einsum("ij,jk,kl->il", [a, b, c], path=[1, 2, 0, 1])
    report["einsum/path-left"] = torch._VF.einsum("ij,jk,kl->il", [a, b, c], path=[0, 1, 0, 1])
    report["einsum/path-swapped"] = torch._VF.einsum("ij,jk,kl->il", [a, b, c], path=[2, 1, 1, 0])
    report["einsum/path-implicit"] = torch._VF.einsum("ij,jk,kl", [a, b, c], path=[0, 2, 0, 1])
    report["einsum/path-outer"] = torch._VF.einsum("bi,bj->bij", [a, a], path=[0, 1])
    report["adjoint/mH.a"] = torch.ops.aten.mH.a(a)
    report["adjoint/mT.a"] = torch.ops.aten.mT.a(a)
    report["adjoint/T.a"] = torch.ops.aten.numpy_T.a(a)
    report["adjoint/H"] = a.H
    report["adjoint/H.a"] = torch.ops.aten.matrix_H.a(a)
    report["cov/fweights"] = torch.cov(torch.tensor([[1.5], [2.0], [3.0]]), fweights=torch.tensor([2]))
    report["cov/aweights"] = torch.cov(torch.tensor([1.5]), aweights=torch.tensor([0.5]), correction=0)
    report["cov/int"] = torch.cov(torch.tensor([[1], [4]]), fweights=torch.tensor([3]), correction=0)

for name, value in report.items():
    if isinstance(value, torch.Tensor):
        print(name, tuple(value.shape), value.flatten()[:3].tolist())
    else:
        print(name, [tuple(t.shape) for t in value])
