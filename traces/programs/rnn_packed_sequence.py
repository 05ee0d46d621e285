"""Variable-length sequences through nn.utils.rnn.pack_padded_sequence.

Padded token batches (longest first) embedded, packed
(`_pack_padded_sequence`, whose backward PackPaddedSequenceBackward0 scatters
the packed gradient back step by step), run through a GRU, unpacked with
pad_packed_sequence and pooled over the valid steps (the program's own lengths: the ones
pad_packed_sequence returns are written through a data pointer, see
docs/CAPTURE.md §10): float32 batch_first,
then float64 time-major; cross entropy and one SGD step each.
"""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.manual_seed(0)

VOCAB, EMBED, HIDDEN, CLASSES = 6, 3, 2, 2

tokens = torch.tensor([[3, 4], [1, 0]])
lengths = torch.tensor([2, 1])
labels = torch.tensor([1, 0])

for dtype, batch_first in ((torch.float32, True), (torch.float64, False)):
    emb = nn.Embedding(VOCAB, EMBED, padding_idx=0, dtype=dtype)
    gru = nn.GRU(EMBED, HIDDEN, batch_first=batch_first, dtype=dtype)
    head = nn.Linear(HIDDEN, CLASSES, dtype=dtype)
    opt = torch.optim.SGD([*emb.parameters(), *gru.parameters(), *head.parameters()], lr=0.1)
    x = emb(tokens) if batch_first else emb(tokens.t())
    packed = pack_padded_sequence(x, lengths, batch_first=batch_first)
    out, h_n = gru(packed)
    padded, _ = pad_packed_sequence(out, batch_first=batch_first)
    steps = padded.sum(1 if batch_first else 0) / lengths.unsqueeze(1).to(dtype)
    loss = nn.functional.cross_entropy(head(steps + h_n[0]), labels)
    loss.backward()
    opt.step()
    print(dtype, tuple(padded.shape), f"{loss.item():.4f}")
