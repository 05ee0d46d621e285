"""An nn.TransformerEncoderLayer training step, post-norm, with a padding mask.

A post-norm TransformerEncoderLayer (batch_first, GELU feed-forward, dropout
0.1 in train mode) called with a src_key_padding_mask; a token classifier
head, cross entropy, one SGD-with-momentum step.
"""

import torch
from torch import nn

torch.manual_seed(0)

BATCH, SEQ, EMBED, HEADS, CLASSES = 2, 3, 4, 2, 3

x = torch.randn(BATCH, SEQ, EMBED)
y = torch.randint(0, CLASSES, (BATCH, SEQ))
padding = torch.tensor([[False, False, True], [False, False, False]])
layer = nn.TransformerEncoderLayer(
    EMBED, HEADS, dim_feedforward=8, dropout=0.1, activation="gelu", batch_first=True, norm_first=False
)
head = nn.Linear(EMBED, CLASSES)
opt = torch.optim.SGD(list(layer.parameters()) + list(head.parameters()), lr=0.05, momentum=0.9)
layer.train()
opt.zero_grad()
h = layer(x, src_key_padding_mask=padding)
loss = nn.functional.cross_entropy(head(h).reshape(-1, CLASSES), y.reshape(-1))
loss.backward()
opt.step()
print(f"loss {loss.item():.4f}")
