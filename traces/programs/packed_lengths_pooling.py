"""Variable-length batches pooled with the lengths pad_packed_sequence
returns, and a training step run entirely inside an autocast region.

Unsorted padded token batches are embedded, packed with
`enforce_sorted=False` (the batch is sorted by length, then unsorted on
unpacking), run through a bidirectional GRU and an LSTM, and unpacked; each
sequence's states are averaged over the lengths `pad_packed_sequence`
returns (a tensor `_pad_packed_sequence` fills through its data pointer,
reordered by `unsorted_indices`) and masked by them, as sentence
classifiers do. Three Adam steps; then the same model is trained with the
forward, the loss and `backward()` all inside `torch.autocast("cpu",
bfloat16)`, so the backward formulas of autocast-listed operators run in
the region too; last, an evaluation under `no_grad`.
"""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.manual_seed(0)

VOCAB, EMBED, HIDDEN, CLASSES = 11, 6, 5, 3


class Classifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED, padding_idx=0)
        self.gru = nn.GRU(EMBED, HIDDEN, batch_first=True, bidirectional=True)
        self.lstm = nn.LSTM(2 * HIDDEN, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN + 2 * HIDDEN, CLASSES)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.embed(tokens), lengths, batch_first=True, enforce_sorted=False)
        states, _ = self.gru(packed)
        deeper, _ = self.lstm(states)
        padded, out_lengths = pad_packed_sequence(states, batch_first=True)
        last, _ = pad_packed_sequence(deeper, batch_first=True, total_length=tokens.size(1))
        steps = torch.arange(padded.size(1))
        mask = (steps[None, :] < out_lengths[:, None]).unsqueeze(-1)
        mean = (padded * mask).sum(1) / out_lengths.unsqueeze(1).to(padded.dtype)
        final = last[torch.arange(last.size(0)), out_lengths - 1]
        return self.head(torch.cat([mean, final], dim=1))


def batch(lengths: list) -> tuple:
    tokens = torch.zeros(len(lengths), max(lengths), dtype=torch.long)
    for row, n in enumerate(lengths):
        tokens[row, :n] = torch.randint(1, VOCAB, (n,))
    return tokens, torch.tensor(lengths)


model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for lengths in ([3, 5, 1, 4], [2, 2, 6], [1]):
    tokens, lens = batch(lengths)
    labels = torch.randint(0, CLASSES, (len(lengths),))
    loss = nn.functional.cross_entropy(model(tokens, lens), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print("fp32", round(loss.item(), 6))

for lengths in ([4, 2, 5], [1, 3]):
    tokens, lens = batch(lengths)
    labels = torch.randint(0, CLASSES, (len(lengths),))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(tokens, lens)
        loss = nn.functional.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
    optimizer.step()
    print("autocast", logits.dtype, round(loss.item(), 4))

model.eval()
with torch.no_grad():
    tokens, lens = batch([6, 1, 3, 2])
    print(model(tokens, lens).argmax(1).tolist())
