"""A sequence tagger's evaluation under `torch.inference_mode()`, where a
dispatch mode sees the recurrent layers and cells whole.

A small model (embedding, a 2-layer bidirectional `nn.LSTM`, a batch-first
`nn.GRU`, a ReLU `nn.RNN` and a tagging head) is trained two SGD steps on a
padded batch (there `nn.LSTM` runs oneDNN's `mkldnn_rnn_layer` per layer and
direction and the GRU/RNN their cell decomposition, part by part). The
evaluation then runs in inference mode, where each module's composite is
one event (exit 5 before):

* `lstm.input` on the padded batch, with and without `(h0, c0)`: oneDNN's
  path for float32 (contiguous time-major input, per-layer `hx[index]`,
  the directions concatenated, `hy`/`cy` stacked);
* `lstm.data` / `gru.data` / `rnn_relu.data` on the same batch packed by
  `pack_padded_sequence` (the cell decomposition: the hidden state narrowed
  as sequences end, and widened again in the reverse direction), unpacked
  by `_pad_packed_sequence`;
* `gru.input` and `rnn_relu.input` batch-first (the output transposed in
  place) and a time-major `rnn_tanh.input`;
* a float64 LSTM with `proj_size` (no oneDNN: the cell decomposition with
  the hidden state projected by `w_hr`);
* a greedy decoder loop over `nn.LSTMCell`, `nn.GRUCell` and `nn.RNNCell`
  (tanh; `lstm_cell`, `gru_cell`, `rnn_tanh_cell`), one starting from zero
  states, and an unbatched `rnn_relu_cell` step without biases.

(A bias-free `nn.RNN`/`nn.GRU`/`nn.LSTM` is left out: its constructor also
makes two bias Parameters per layer that it drops unused, and the capture
tests' check that every Parameter's hidden `detach` is introduced in the
trace cannot hold for those.)
"""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.manual_seed(0)
VOCAB, EMBED, HIDDEN, TAGS = 7, 4, 3, 3


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMBED, padding_idx=0)
        self.lstm = nn.LSTM(EMBED, HIDDEN, num_layers=2, bidirectional=True)
        self.gru = nn.GRU(2 * HIDDEN, HIDDEN, batch_first=True)
        self.rnn = nn.RNN(HIDDEN, HIDDEN, nonlinearity="relu", batch_first=True)
        self.head = nn.Linear(HIDDEN, TAGS)

    def forward(self, tokens):
        x = self.emb(tokens)  # (T, B, E)
        y, _ = self.lstm(x)
        y, _ = self.gru(y.transpose(0, 1))
        y, _ = self.rnn(y)
        return self.head(y)


model = Tagger()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
tokens = torch.tensor([[1, 2, 3], [4, 5, 6], [2, 6, 0], [3, 0, 0]])  # (T=4, B=3)
lengths = [4, 3, 2]
tags = torch.randint(0, TAGS, (3, 4))
for _ in range(2):
    logits = model(tokens)
    loss = nn.functional.cross_entropy(logits.reshape(-1, TAGS), tags.reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()

model.eval()
tanh_rnn = nn.RNN(EMBED, HIDDEN)
proj = nn.LSTM(EMBED, HIDDEN + 1, proj_size=2, batch_first=True, dtype=torch.float64)
lstm_cell = nn.LSTMCell(EMBED, HIDDEN)
gru_cell = nn.GRUCell(HIDDEN, HIDDEN)
rnn_cell = nn.RNNCell(HIDDEN, HIDDEN)
relu_cell = nn.RNNCell(EMBED, HIDDEN, nonlinearity="relu", bias=False)

with torch.inference_mode():
    x = model.emb(tokens)
    padded_out, (h_n, c_n) = model.lstm(x)
    h0 = torch.randn(4, 3, HIDDEN)
    c0 = torch.randn(4, 3, HIDDEN)
    given_out, _ = model.lstm(x, (h0, c0))
    packed = pack_padded_sequence(x, lengths)
    packed_out, (ph, pc) = model.lstm(packed)
    unpacked, _ = pad_packed_sequence(packed_out, total_length=5)
    g_out, g_h = model.gru(padded_out.transpose(0, 1))
    g_packed, _ = model.gru(pack_padded_sequence(padded_out, lengths))
    r_out, r_h = model.rnn(g_out)
    r_packed, _ = model.rnn(pack_padded_sequence(g_out, lengths, batch_first=True))
    scores = model.head(r_out)
    print("tags", scores.argmax(-1).tolist())
    print("padded", f"{padded_out.sum().item():.4f}", tuple(g_out.stride()))
    print("packed", f"{unpacked.sum().item():.4f}", f"{ph.sum().item():.4f}")
    print("gru/rnn packed", f"{g_packed.data.sum().item():.4f}", f"{r_packed.data.sum().item():.4f}")
    t_out, t_h = tanh_rnn(x)
    p_out, (p_h, p_c) = proj(x.transpose(0, 1).double())
    print("tanh/proj", f"{t_out.sum().item():.4f}", tuple(p_out.shape), f"{p_c.sum().item():.6f}")
    # a greedy decoder from the encoder's last states
    h, c = lstm_cell(x[0])
    g = h_n[-1]
    r = torch.zeros(3, HIDDEN)
    for step in range(3):
        h, c = lstm_cell(x[step + 1], (h, c))
        g = gru_cell(h, g)
        r = rnn_cell(g, r)
    print("decoder", f"{r.sum().item():.4f}", f"{relu_cell(x[0, 0]).sum().item():.4f}")
