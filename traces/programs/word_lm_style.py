"""A word_language_model-style recurrent LM: embedding, a two-layer GRU, linear decoder.

Batches laid out as (seq, batch) columns, the hidden state detached between
batches (repackage), dropout on embeddings and outputs, cross entropy over
the flattened logits, clip_grad_norm_ and a hand-written SGD update
`p.add_(p.grad, alpha=-lr)` under no_grad.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(5)

NTOKEN, NINP, NHID, NLAYERS, BPTT, BSZ = 8, 4, 3, 2, 2, 2


class RNNModel(nn.Module):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(NTOKEN, NINP)
        self.rnn = getattr(nn, kind)(NINP, NHID, NLAYERS, dropout=0.2)
        self.decoder = nn.Linear(NHID, NTOKEN)
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, inp, hidden):
        emb = self.drop(self.encoder(inp))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, NTOKEN)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.kind == "LSTM":
            return (weight.new_zeros(NLAYERS, bsz, NHID), weight.new_zeros(NLAYERS, bsz, NHID))
        return weight.new_zeros(NLAYERS, bsz, NHID)


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def get_batch(source, i):
    seq_len = min(BPTT, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].view(-1)


corpus = torch.randint(0, NTOKEN, (16,))
train_data = batchify(corpus, BSZ)
criterion = nn.NLLLoss()
lr = 2.0

for kind in ("GRU",):
    model = RNNModel(kind)
    model.train()
    hidden = model.init_hidden(BSZ)
    for batch, i in enumerate(range(0, 2 * BPTT, BPTT)):
        data, targets = get_batch(train_data, i)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(p.grad, alpha=-lr)
        print(kind, "batch", batch, "done")
