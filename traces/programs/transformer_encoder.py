"""An nn.TransformerEncoder training step, pre-norm, with a causal mask.

A TransformerEncoder of one norm_first TransformerEncoderLayer (batch_first,
GELU feed-forward, dropout 0.1 in train mode, enable_nested_tensor=False)
given a square-subsequent mask with `is_causal=True`; a token classifier
head, cross entropy, one SGD-with-momentum step.
"""

import torch
from torch import nn

torch.manual_seed(0)

BATCH, SEQ, EMBED, HEADS, CLASSES = 2, 3, 4, 2, 3

x = torch.randn(BATCH, SEQ, EMBED)
y = torch.randint(0, CLASSES, (BATCH, SEQ))
mask = nn.Transformer.generate_square_subsequent_mask(SEQ)
layer = nn.TransformerEncoderLayer(
    EMBED, HEADS, dim_feedforward=8, dropout=0.1, activation="gelu", batch_first=True, norm_first=True
)
encoder = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False)
head = nn.Linear(EMBED, CLASSES)
opt = torch.optim.SGD(list(encoder.parameters()) + list(head.parameters()), lr=0.05, momentum=0.9)
encoder.train()
opt.zero_grad()
h = encoder(x, mask=mask, is_causal=True)
loss = nn.functional.cross_entropy(head(h).reshape(-1, CLASSES), y.reshape(-1))
loss.backward()
opt.step()
print(f"loss {loss.item():.4f}")
