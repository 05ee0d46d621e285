"""A word-level LSTM language model in float32, as pytorch/examples'
word_language_model trains it, plus a bidirectional LSTM tagger.

Embedding -> 2-layer nn.LSTM -> Linear -> log_softmax with NLLLoss, trained
by truncated backpropagation through time: the hidden state is detached
between batches (`repackage_hidden`), gradients are clipped with
`clip_grad_norm_` and parameters updated in place through `p.data`; then an
evaluation pass under `no_grad`. A batch_first bidirectional single-layer
LSTM tagger takes one `optim.SGD` step. CPU float32 LSTMs run oneDNN's
`mkldnn_rnn_layer` per layer and direction, whose backward is
`mkldnn_rnn_layer_backward` (docs/CAPTURE.md §10).
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

NTOKEN, NINP, NHID, NLAYERS = 12, 6, 8, 2
BPTT, BATCH, LR, CLIP = 4, 3, 2.0, 0.25


class RNNModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(NTOKEN, NINP)
        self.rnn = nn.LSTM(NINP, NHID, NLAYERS)
        self.decoder = nn.Linear(NHID, NTOKEN)
        self.encoder.weight.data.uniform_(-0.1, 0.1)
        self.decoder.bias.data.zero_()
        self.decoder.weight.data.uniform_(-0.1, 0.1)

    def forward(self, input, hidden):
        emb = self.encoder(input)
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(output).view(-1, NTOKEN)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(NLAYERS, bsz, NHID), weight.new_zeros(NLAYERS, bsz, NHID))


def repackage_hidden(h):
    return tuple(v.detach() for v in h)


# A corpus of token ids batchified as (steps, batch).
data = torch.randint(0, NTOKEN, (3 * BPTT + 1, BATCH))
model = RNNModel()
criterion = nn.NLLLoss()

model.train()
hidden = model.init_hidden(BATCH)
for i in range(0, 3 * BPTT, BPTT):
    source, targets = data[i : i + BPTT], data[i + 1 : i + 1 + BPTT].reshape(-1)
    hidden = repackage_hidden(hidden)
    model.zero_grad()
    output, hidden = model(source, hidden)
    loss = criterion(output, targets)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
    for p in model.parameters():
        p.data.add_(p.grad, alpha=-LR)
    print(f"batch {i // BPTT} loss {loss.item():.4f}")

model.eval()
with torch.no_grad():
    hidden = model.init_hidden(BATCH)
    output, hidden = model(data[:BPTT], hidden)
    print(f"eval loss {criterion(output, data[1 : BPTT + 1].reshape(-1)).item():.4f}")

# A bidirectional tagger over batch-first sequences, without initial state.
tagger = nn.LSTM(NINP, 4, bidirectional=True, batch_first=True)
tags = nn.Linear(8, 3)
opt = torch.optim.SGD([*tagger.parameters(), *tags.parameters()], lr=0.1)
words = torch.randn(2, 5, NINP)
labels = torch.randint(0, 3, (2, 5))
out, (h_n, c_n) = tagger(words)
loss = F.cross_entropy(tags(out).reshape(-1, 3), labels.reshape(-1)) + c_n.pow(2).mean()
opt.zero_grad()
loss.backward()
opt.step()
print(f"tagger loss {loss.item():.4f}")
