"""A sentence classifier over an `nn.TransformerEncoder` with the default
`enable_nested_tensor=True`, fed left-padded batches (as decoder-style
tokenizers pad), trained two SGD steps (momentum 0.9) and evaluated in `eval()` under
`no_grad` with a `src_key_padding_mask`.

In evaluation the encoder first asks `_nested_tensor_from_mask_left_aligned`
(one CPU kernel returning a bool) whether every row of the keep-mask is a
run of valid tokens followed only by padding. For a left-padded batch, and
for one whose mask also hides a token inside a sentence, the answer is no,
so the batch is not packed into a nested tensor and each layer runs the
fused `_transformer_encoder_layer_fwd` on the padded batch with the mask
(`mask_type` 1). Pooling reads the last position, which left padding keeps
valid.
"""

import torch
from torch import nn

torch.manual_seed(0)

VOCAB, D, PAD, MASK = 16, 8, 0, 1


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, D, padding_idx=PAD)
        self.pos = nn.Parameter(torch.randn(1, 5, D) * 0.02)
        layer = nn.TransformerEncoderLayer(D, 2, dim_feedforward=16, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(D, 3)

    def forward(self, tokens, padding):
        h = self.encoder(self.emb(tokens) + self.pos[:, : tokens.size(1)], src_key_padding_mask=padding)
        return self.head(h[:, -1])


model = Classifier()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
train = torch.tensor([[0, 0, 5, 6, 7], [0, 3, 4, 9, 2], [8, 2, 11, 4, 13]])
labels = torch.tensor([2, 0, 1])
for _ in range(2):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(train, train == PAD), labels)
    loss.backward()
    opt.step()

model.eval()
left_padded = torch.tensor([[0, 0, 0, 12, 5], [0, 14, 3, 3, 7], [6, 2, 9, 15, 4]])
# the second sentence's masked-out word leaves a gap inside its row
with_gap = torch.tensor([[0, 7, 7, 10, 2], [4, 5, MASK, 8, 9]])
with torch.no_grad():
    for batch in (left_padded, with_gap):
        padding = (batch == PAD) | (batch == MASK)
        probs = model(batch, padding).softmax(-1)
        print(probs.argmax(-1).tolist(), f"{probs.max().item():.4f}")
print(f"{loss.item():.4f}")
