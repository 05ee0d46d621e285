"""A word-level LSTM language model trained entirely in bfloat16.

pytorch/examples' word_language_model with the whole model cast by
`model.to(torch.bfloat16)`: Embedding -> two-layer `nn.LSTM` -> Linear ->
`log_softmax` + `NLLLoss` in bfloat16, truncated backpropagation through time
over sequences of eight steps with the hidden state detached between
batches, `clip_grad_norm_` and `optim.SGD` with momentum; a batch_first
bidirectional bfloat16 LSTM tagger trained by AdamW; then greedy generation
under `no_grad` (oneDNN's inference path, no workspace).

A bfloat16 LSTM on CPU runs oneDNN's `mkldnn_rnn_layer`: the bias it sees is
`b_ih + b_hh` added in bfloat16; each step computes its gates and new cell
state in float32, takes `h = σ(o)·tanh(c)` from that float32 cell state and
stores both states in bfloat16, which is what the next step reads. Its
backward (`mkldnn_rnn_layer_backward`, float32 gradients) reads the
activated gates and the states as bfloat16 and rounds each step's gate
gradients to bfloat16 before they enter the weight, input and hidden-state
gradients. Eight steps make every rounding visible: a cell state carried in
float32 drifts by bfloat16 ulps from the second step on.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

NTOKEN, NINP, NHID, NLAYERS = 16, 8, 12, 2
BPTT, BATCH, CLIP = 8, 3, 0.5


class RNNModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(NTOKEN, NINP)
        self.rnn = nn.LSTM(NINP, NHID, NLAYERS)
        self.decoder = nn.Linear(NHID, NTOKEN)
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, inp, hidden):
        output, hidden = self.rnn(self.encoder(inp), hidden)
        decoded = self.decoder(output).view(-1, NTOKEN)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (
            weight.new_zeros(NLAYERS, bsz, NHID),
            weight.new_zeros(NLAYERS, bsz, NHID),
        )


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    return data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous()


model = RNNModel().to(torch.bfloat16)
criterion = nn.NLLLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
train_data = batchify(torch.randint(0, NTOKEN, (3 * BATCH * BPTT + BATCH,)), BATCH)

model.train()
hidden = model.init_hidden(BATCH)
for i in range(0, train_data.size(0) - 1, BPTT):
    seq_len = min(BPTT, len(train_data) - 1 - i)
    data = train_data[i : i + seq_len]
    targets = train_data[i + 1 : i + 1 + seq_len].reshape(-1)
    hidden = repackage_hidden(hidden)
    optimizer.zero_grad()
    output, hidden = model(data, hidden)
    loss = criterion(output, targets)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
    optimizer.step()


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(NTOKEN, NINP)
        self.lstm = nn.LSTM(NINP, NHID, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * NHID, 5)

    def forward(self, tokens):
        states, _ = self.lstm(self.embed(tokens))
        return self.out(states)


tagger = Tagger().to(torch.bfloat16)
tag_opt = torch.optim.AdamW(tagger.parameters(), lr=1e-2)
for _ in range(2):
    tokens = torch.randint(0, NTOKEN, (2, 7))
    tags = torch.randint(0, 5, (2, 7))
    scores = tagger(tokens)
    tag_loss = F.cross_entropy(scores.reshape(-1, 5), tags.reshape(-1))
    tag_opt.zero_grad()
    tag_loss.backward()
    tag_opt.step()

model.eval()
with torch.no_grad():
    hidden = model.init_hidden(1)
    word = torch.randint(0, NTOKEN, (1, 1))
    words = [word]
    for _ in range(6):
        output, hidden = model(word, hidden)
        word = output.argmax(dim=1).view(1, 1)
        words.append(word)
    generated = torch.cat(words, dim=1)

print(f"loss {loss.item():.4f} tagger {tag_loss.item():.4f} generated {generated.tolist()}")
