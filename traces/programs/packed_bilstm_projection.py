"""A tagger over variable-length sentences: `pad_sequence`, then
`pack_sequence(enforce_sorted=False)` into a two-layer bidirectional LSTM
with projected hidden states (`proj_size`) and dropout between layers,
trained by Adam with gradient clipping.

The packed batch is sorted by length inside PyTorch (`sorted_indices`,
`index_select` of the inputs and of the initial states) and unsorted on
the way out; `pad_packed_sequence(total_length=...)` pads past the longest
sentence and `unpad_sequence` gives each sentence back for a per-sentence
loss. A batch of one sentence and an evaluation pass under `no_grad`
close the run."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_sequence, pad_packed_sequence, pad_sequence, unpad_sequence

torch.manual_seed(0)
vocab, tags, emb_dim, hidden, proj = 20, 4, 6, 8, 5
sentences = [torch.randint(0, vocab, (n,)) for n in (4, 3, 5, 2)]
labels = [torch.randint(0, tags, (len(s),)) for s in sentences]


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb_dim, padding_idx=0)
        self.lstm = nn.LSTM(emb_dim, hidden, num_layers=2, bidirectional=True, dropout=0.2, proj_size=proj)
        self.out = nn.Linear(2 * proj, tags)

    def forward(self, batch, total_length):
        packed = pack_sequence([self.embed(s) for s in batch], enforce_sorted=False)
        h0 = torch.zeros(4, len(batch), proj)
        c0 = torch.zeros(4, len(batch), hidden)
        out, (h, c) = self.lstm(packed, (h0, c0))
        padded, lengths = pad_packed_sequence(out, total_length=total_length)
        return self.out(padded), lengths, h


model = Tagger()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(2):
    scores, lengths, h = model(sentences, total_length=6)
    per_sentence = unpad_sequence(scores, lengths)
    loss = sum(F.cross_entropy(s, y) for s, y in zip(per_sentence, labels)) / len(sentences)
    loss = loss + 1e-3 * h.pow(2).mean()
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()

one, _, _ = model([sentences[2]], total_length=5)
F.cross_entropy(one[:, 0], labels[2]).backward()
model.eval()
with torch.no_grad():
    padded_tags = pad_sequence(labels, padding_value=-1)
    scores, lengths, _ = model(sentences, total_length=5)
    correct = (scores.argmax(-1) == padded_tags).sum().item()
print(correct, lengths.tolist())
