"""A bag-of-words sentiment classifier whose word table is an
`nn.Embedding(sparse=True)` trained by plain SGD, the way large vocabulary
tables are trained: the table's gradient is a sparse COO tensor with one
entry per looked-up word, repeats included.

Pins EmbeddingBackward0's sparse path (`view` of the indices and of the
gradient, `_sparse_coo_tensor_with_dims_and_tensors`), AccumulateGrad's
calls on a first sparse gradient (`_indices`, `_values`, `_indices`,
`clone`), SGD's `add_` of a sparse gradient into the dense table (entry by
entry in nnz order, repeated words one after the other, each a fused
multiply-add), and the per-step gradient report that coalesces the sparse
gradient (`is_coalesced`, `_coalesce`: duplicates sorted by row and summed
left to right in float32) to count the rows touched and take their norms.
A per-word bias table, also sparse, is trained by Adagrad (its sparse
step: `coalesce`, `add_` of the squared values into the dense state sum,
`sparse_mask` of the state by the gradient, `sqrt_`, `add_`, `div`, and
`add_` of the update). The dense classifier head is trained by its own SGD
with momentum. A
heavily weighted shuffle-consistency push (a sentence and a shuffle of it
must score alike; its value is zero, only its gradient counts) looks both up in the same call, one before and one
after the batch: each of their words gets large, exactly opposite
gradient entries around the batch's own, so the coalesced sums (and the
table's entry-by-entry update) cancel in float32 as PyTorch's order
leaves them.
"""
# cpu-dependent-values: the matrix-vector product rounds its last bit differently on different CPUs, and the shuffle-consistency push subtracts two nearly equal scores, exactly 0 on one CPU and a rounding residue on another

import torch
from torch import nn

torch.manual_seed(11)

VOCAB, DIM, CLASSES = 12, 4, 2
table = nn.Embedding(VOCAB, DIM, sparse=True)
word_bias = nn.Embedding(VOCAB, 1, sparse=True)
head = nn.Linear(DIM, CLASSES)
table_opt = torch.optim.SGD(table.parameters(), lr=0.3)
bias_opt = torch.optim.Adagrad(word_bias.parameters(), lr=0.1)
head_opt = torch.optim.SGD(head.parameters(), lr=0.1, momentum=0.9)
# Eight sentences of six words; a small vocabulary, so words repeat within
# and across sentences.
sentences = torch.randint(0, VOCAB, (8, 6))
labels = torch.randint(0, CLASSES, (8,))
anchor = torch.tensor([[1, 5, 7, 7, 2, 9]])
shuffled = torch.tensor([[7, 9, 5, 1, 7, 2]])
for step in range(3):
    batch = sentences[step * 2 : step * 2 + 4]
    target = labels[step * 2 : step * 2 + 4]
    bags = table(torch.cat([anchor, batch, shuffled])).mean(1)
    scores = bags @ head.weight[1].detach()
    # Gradient only: the value is exactly zero, the gradient is the
    # weighted difference's (a straight-through consistency push).
    gap = 1e5 * (scores[0] - scores[-1])
    penalty = gap - gap.detach()
    logits = head(bags[1:-1]) + word_bias(batch).mean(1)
    loss = nn.functional.cross_entropy(logits, target) + penalty
    table_opt.zero_grad()
    bias_opt.zero_grad()
    head_opt.zero_grad()
    loss.backward()
    grad = table.weight.grad.coalesce()
    touched = grad._values().norm(dim=1)
    print(step, round(loss.item(), 6), grad._nnz(), round(touched.max().item(), 6))
    table_opt.step()
    bias_opt.step()
    head_opt.step()
print(table.weight[:3].tolist())
