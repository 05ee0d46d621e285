"""An evaluation loop written the way training scripts write it: every batch
moved with `.to(device)` inside `torch.inference_mode()`, and a text
classifier over unsorted variable-length batches.

`tensor.to(device)` (a `torch.device`, also with `non_blocking=True`) binds
`aten.to.dtype_layout`, a composite with PyTorch's TensorOptions group;
inference mode shows it whole, and like the factories it has a
BackendSelect kernel, so its key chain is `BackendSelect:kernel, CPU:math`
(a runtime giving composites only fallthroughs there diverged on every
such move). `pack_padded_sequence(enforce_sorted=False)` reaches the same
operator when it moves its sorting permutation to the input's device.

A bidirectional GRU classifier is trained two Adam steps on packed,
unsorted batches (there `to.dtype_layout` is not an event: outside
inference mode the dispatch mode sees only its parts), then evaluated in
inference mode: batches and labels moved to the device, unsorted packing,
`pad_packed_sequence`, a masked mean over time, accuracy and a float64
loss; then `to.device`, `to.other`, `to.dtype` and memory-format moves,
each the input itself when nothing changes and a copy otherwise.
"""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.manual_seed(0)
device = torch.device("cpu")
VOCAB, EMBED, HIDDEN, CLASSES = 11, 5, 4, 3


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMBED, padding_idx=0)
        self.gru = nn.GRU(EMBED, HIDDEN, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * HIDDEN, CLASSES)

    def forward(self, tokens, lengths):
        x = self.emb(tokens)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        padded, lens = pad_packed_sequence(out, batch_first=True)
        mask = (torch.arange(padded.shape[1]).unsqueeze(0) < lens.unsqueeze(1)).to(padded.dtype)
        pooled = (padded * mask.unsqueeze(-1)).sum(1) / lens.to(device, padded.dtype).unsqueeze(1)
        return self.head(pooled)


def batch(seed):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([3, 6, 2, 5, 4])
    tokens = torch.randint(1, VOCAB, (5, 6), generator=g)
    tokens = tokens * (torch.arange(6).unsqueeze(0) < lengths.unsqueeze(1))
    labels = torch.randint(0, CLASSES, (5,), generator=g)
    return tokens, lengths, labels


model = Classifier().to(device)
opt = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(2):
    tokens, lengths, labels = batch(step)
    loss = nn.functional.cross_entropy(model(tokens.to(device), lengths), labels.to(device))
    opt.zero_grad()
    loss.backward()
    opt.step()

model.eval()
correct, total, nll = 0, 0, torch.zeros((), dtype=torch.float64)
with torch.inference_mode():
    for seed in (10, 11):
        tokens, lengths, labels = batch(seed)
        tokens = tokens.to(device, non_blocking=True)
        labels = labels.to(device)
        logits = model(tokens, lengths)
        nll += nn.functional.cross_entropy(logits.to(dtype=torch.float64), labels, reduction="sum")
        correct += (logits.argmax(1) == labels).sum().item()
        total += labels.numel()
        # The other overloads: an alias when nothing changes, else a copy.
        probs = logits.softmax(1)
        assert probs.to(device) is probs and probs.to(logits) is probs
        nll = nll.to(device, torch.float64)  # to.device, itself
        report = probs.to(device, torch.float64, copy=True)  # to.device, a copy
        report = report.to(nll) * nll  # to.other, itself
        kept = probs.to(torch.float32, copy=True)  # to.dtype, a copy
        image = kept.reshape(1, 5, 3, 1).to(memory_format=torch.channels_last)
        flat = image.to(memory_format=torch.contiguous_format)  # a copy
        again = image.to(memory_format=torch.channels_last)  # itself
        nll += (report.sum() + flat.sum() - again.sum()) * 0
print(f"eval accuracy {correct}/{total}, nll {nll.item() / total:.4f}")
