"""A word-level language model with an adaptive softmax over a skewed
vocabulary (`nn.AdaptiveLogSoftmaxWithLoss`: a head over the frequent words
plus two down-projected tail clusters, `head_bias=True`), trained with Adam,
gradient clipping and the hidden state carried (detached) from batch to
batch, then read out in `eval()` with `log_prob` and `predict`.

The adaptive softmax builds its per-target outputs in memory from
`new_empty`, written cluster by cluster with `index_copy_`/`index_fill_`
(every intermediate has unwritten elements), and the program does the same
by hand: a score table from `torch.empty` filled row block by row block
through `index_put_`, an `empty_like` buffer through `index_fill_`, an int64
`new_empty` through `scatter_`, a float64 `empty_strided` column by
column."""
import torch
from torch import nn

torch.manual_seed(0)

VOCAB, EMBED, HIDDEN = 40, 12, 16


class AdaptiveLM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED)
        self.rnn = nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.drop = nn.Dropout(0.1)
        self.out = nn.AdaptiveLogSoftmaxWithLoss(HIDDEN, VOCAB, cutoffs=[8, 20], div_value=2.0, head_bias=True)

    def forward(self, tokens, targets, state):
        h, state = self.rnn(self.drop(self.embed(tokens)), state)
        result = self.out(h.reshape(-1, HIDDEN), targets.reshape(-1))
        return result, h, state


# Zipf-like token stream: frequent words land in the head, rare ones in the tails.
ranks = torch.arange(1, VOCAB + 1, dtype=torch.float32)
stream = torch.multinomial(1.0 / ranks, 3 * 2 * 9 + 1, replacement=True)

model = AdaptiveLM()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
state = None
for step in range(3):
    chunk = stream[step * 18 : step * 18 + 19]
    tokens, targets = chunk[:-1].view(2, 9), chunk[1:].view(2, 9)
    if state is not None:
        state = tuple(s.detach() for s in state)
    opt.zero_grad()
    result, h, state = model(tokens, targets, state)
    result.loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    print("step", step, "loss", result.loss.item(), "first outputs", result.output[:3].tolist())

model.eval()
with torch.no_grad():
    _, h, _ = model(tokens, targets, state)
    flat = h.reshape(-1, HIDDEN)
    log_probs = model.out.log_prob(flat[:4])
    print("log_prob row sums", log_probs.exp().sum(1).tolist())
    print("predict", model.out.predict(flat).tolist())

# Buffers from uninitialised memory, written part by part before use.
x = torch.randn(6, 4, requires_grad=True)
scores = torch.empty(6, 4)
first, second = torch.tensor([0, 2, 4]), torch.tensor([1, 3, 5])
scores[first] = x[first] * 2
scores[second] = x[second].tanh()
flags = torch.empty_like(x).index_fill_(0, first, 1.0)
flags.index_fill_(0, second, -1.0)
owner = first.new_empty(6)
owner.scatter_(0, first, torch.zeros(3, dtype=torch.int64))
owner.scatter_(0, second, torch.ones(3, dtype=torch.int64))
table = torch.empty_strided((3, 2), (1, 3), dtype=torch.float64)
table[:, 0] = torch.arange(3, dtype=torch.float64)
table[:, 1] = table[:, 0] ** 2
loss = (scores * flags).sum() + x.gather(0, owner.view(6, 1).expand(6, 4)).sum()
loss.backward()
print("buffers", scores.tolist(), owner.tolist(), table.tolist(), x.grad.tolist())
