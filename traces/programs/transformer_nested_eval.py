"""A sentence classifier over `nn.TransformerEncoder` (batch_first, the
default `enable_nested_tensor=True`) trained three SGD steps (momentum 0.9), then
evaluated the way evaluation loops run it: `eval()` under `no_grad` and
under `inference_mode`, with a right-padded batch and its
`src_key_padding_mask`.

In evaluation the encoder asks `_nested_tensor_from_mask_left_aligned`
whether every row's valid tokens come first; they do, so it packs the batch
into a nested tensor (`_nested_tensor_from_mask`: each sentence's own
tokens, no padding), runs every layer's fused
`_transformer_encoder_layer_fwd` on it (each sentence attends to its own
tokens only), and unpacks the result with `to_padded_tensor`, zeros at the
padded positions. Covered: ReLU layers, GELU layers with
a final LayerNorm, a batch of one sentence, a batch without padding (every
component the same length), a sentence of one token, and an
`nn.Transformer` whose encoder packs its source the same way while the
decoder runs on the padded result.
"""

import torch
from torch import nn

torch.manual_seed(0)

VOCAB, D, PAD = 20, 8, 0


class Classifier(nn.Module):
    def __init__(self, norm_first, activation, final_norm):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, D, padding_idx=PAD)
        self.pos = nn.Parameter(torch.randn(1, 6, D) * 0.1)
        layer = nn.TransformerEncoderLayer(
            D, 2, dim_feedforward=16, dropout=0.1, activation=activation, batch_first=True, norm_first=norm_first
        )
        norm = nn.LayerNorm(D) if final_norm else None
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, norm=norm)
        self.head = nn.Linear(D, 3)

    def forward(self, tokens):
        padding = tokens == PAD
        h = self.encoder(self.emb(tokens) + self.pos[:, : tokens.size(1)], src_key_padding_mask=padding)
        keep = (~padding).unsqueeze(-1).to(h.dtype)
        pooled = (h * keep).sum(1) / keep.sum(1)
        return self.head(pooled), h


train = torch.tensor([[3, 5, 6, 7, 0, 0], [4, 9, 2, 11, 12, 13], [8, 2, 0, 0, 0, 0], [1, 14, 15, 16, 17, 0]])
labels = torch.tensor([2, 0, 1, 1])
batches = [
    torch.tensor([[12, 5, 0, 0, 0], [3, 3, 7, 9, 1], [6, 0, 0, 0, 0]]),  # one sentence of one token
    torch.tensor([[2, 4, 6, 8, 10, 0]]),  # a batch of one
    torch.tensor([[5, 6, 7], [8, 9, 10]]),  # no padding: components of one length
]

for norm_first, activation, final_norm in [(False, "relu", False), (False, "gelu", True)]:
    model = Classifier(norm_first, activation, final_norm)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        logits, _ = model(train)
        nn.functional.cross_entropy(logits, labels).backward()
        opt.step()

    model.eval()
    with torch.no_grad():
        for tokens in batches:
            logits, h = model(tokens)
            print("no_grad", logits.argmax(-1).tolist(), h[0, -1].abs().sum().item())
    with torch.inference_mode():
        logits, h = model(batches[0])
        print("inference_mode", logits.softmax(-1)[0].tolist())

# A full nn.Transformer: the encoder packs the padded source, the decoder
# reads the unpacked memory with the same padding mask.
seq2seq = nn.Transformer(D, 2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16, batch_first=True)
src_emb, tgt_emb = nn.Embedding(VOCAB, D, padding_idx=PAD), nn.Embedding(VOCAB, D)
out_proj = nn.Linear(D, VOCAB)
params = [*seq2seq.parameters(), *src_emb.parameters(), *tgt_emb.parameters(), *out_proj.parameters()]
opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
src = torch.tensor([[3, 4, 5, 0], [6, 7, 0, 0]])
tgt = torch.tensor([[1, 3, 4], [1, 6, 7]])
causal = nn.Transformer.generate_square_subsequent_mask(3)
for _ in range(2):
    opt.zero_grad()
    out = seq2seq(src_emb(src), tgt_emb(tgt), tgt_mask=causal, src_key_padding_mask=src == PAD,
                  memory_key_padding_mask=src == PAD)
    nn.functional.cross_entropy(out_proj(out).flatten(0, 1), tgt.roll(-1, 1).flatten()).backward()
    opt.step()
seq2seq.eval()
with torch.no_grad():
    out = seq2seq(src_emb(src), tgt_emb(tgt), tgt_mask=causal, src_key_padding_mask=src == PAD,
                  memory_key_padding_mask=src == PAD)
    print("seq2seq", out_proj(out).argmax(-1).tolist())
