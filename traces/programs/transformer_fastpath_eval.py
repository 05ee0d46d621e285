"""Transformer inference fast paths after two training steps.

An embedding, a post-norm ReLU nn.TransformerEncoderLayer (causal
src_mask) and a linear head, trained two SGD steps, then run in eval() under
no_grad with a second, pre-norm GELU layer, where PyTorch takes the fast
paths `_native_multi_head_attention` and `_transformer_encoder_layer_fwd`
(one CPU kernel each): a bool causal mask, a key padding mask, both merged,
no mask; weights averaged over heads, per head, or not returned.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

VOCAB, EMBED, HEADS, CLASSES, BATCH, SEQ = 7, 4, 2, 3, 2, 4


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, EMBED)
        self.enc1 = nn.TransformerEncoderLayer(EMBED, HEADS, dim_feedforward=8, dropout=0.0, batch_first=True)
        self.head = nn.Linear(EMBED, CLASSES)

    def forward(self, idx, causal):
        x = self.tok(idx)
        x = self.enc1(x, src_mask=causal)
        return self.head(x.mean(dim=1))


model = Model()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
enc2 = nn.TransformerEncoderLayer(
    EMBED, HEADS, dim_feedforward=6, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
)
idx = torch.randint(0, VOCAB, (BATCH, SEQ))
y = torch.tensor([0, 2])
causal = torch.triu(torch.ones(SEQ, SEQ, dtype=torch.bool), diagonal=1)
pad = torch.tensor([[False] * SEQ, [False] * 3 + [True]])
for _ in range(2):
    loss = F.cross_entropy(model(idx, causal), y)
    opt.zero_grad()
    loss.backward()
    opt.step()

model.eval()
enc2.eval()
attn = model.enc1.self_attn
with torch.no_grad():
    logits = model(idx, causal)
    x = model.tok(idx)
    # The bool causal mask, no weights (as the encoder layer asks).
    out0, _ = attn(x, x, x, attn_mask=causal, need_weights=False)
    # Weights averaged over heads, no mask.
    out1, w_avg = attn(x, x, x)
    # Per-head weights under a key padding mask.
    out2, w_heads = attn(x, x, x, key_padding_mask=pad, average_attn_weights=False)
    # Both masks, merged into one (batch, heads, seq, seq) mask.
    out3, w3 = attn(x, x, x, attn_mask=causal, key_padding_mask=pad)
    # No mask, no weights.
    out4, _ = attn(x, x, x, need_weights=False)
    # The post-norm layer without a mask; the pre-norm one with a key
    # padding mask, then a causal mask.
    h = enc2(model.enc1(x), src_key_padding_mask=pad)
    h = enc2(h, src_mask=causal)
    pred = logits.argmax(dim=-1)
