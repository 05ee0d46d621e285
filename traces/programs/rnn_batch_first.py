"""Sequence classifiers over nn.GRU and nn.RNN with batch_first=True.

A bidirectional GRU with an explicit initial hidden state and a two-layer
Elman RNN with ReLU nonlinearity (dropout between layers, off in eval mode),
both batch_first: CPU's recurrent kernels run time-major and hand the output
back through the in-place `transpose_` (TransposeBackward1). Last-step
features into a Linear head, CrossEntropyLoss, one SGD step each.
"""

import torch
from torch import nn

torch.manual_seed(0)

BATCH, STEPS, FEATURES, HIDDEN, CLASSES = 2, 2, 3, 2, 3

x = torch.randn(BATCH, STEPS, FEATURES)
y = torch.tensor([0, 2])

gru = nn.GRU(FEATURES, HIDDEN, batch_first=True, bidirectional=True)
gru_head = nn.Linear(2 * HIDDEN, CLASSES)
opt = torch.optim.SGD(list(gru.parameters()) + list(gru_head.parameters()), lr=0.1)
h0 = torch.zeros(2, BATCH, HIDDEN)
out, h_n = gru(x, h0)
loss = nn.functional.cross_entropy(gru_head(out[:, -1]), y)
loss.backward()
opt.step()
print("gru", tuple(out.shape), tuple(h_n.shape), f"{loss.item():.4f}")

rnn = nn.RNN(FEATURES, HIDDEN, num_layers=2, nonlinearity="relu", batch_first=True, dropout=0.5)
rnn_head = nn.Linear(HIDDEN, CLASSES)
rnn.eval()
opt = torch.optim.SGD(list(rnn.parameters()) + list(rnn_head.parameters()), lr=0.1)
out, h_n = rnn(x)
loss = nn.functional.cross_entropy(rnn_head(h_n[-1]), y)
loss.backward()
opt.step()
print("rnn", tuple(out.shape), f"{loss.item():.4f}")
