"""An IRNN sequence classifier (Le, Jaitly & Hinton 2015: a ReLU RNN whose
recurrent matrix starts as the identity) and token saliency by input
gradients, as interpretability code computes them.

`nn.init.eye_` on the square recurrent weight and on a non-square input
projection (`eye.m_out` into the parameter under `no_grad`), Adam with
`clip_grad_norm_` for three steps. Identity buffers preallocated for a
whitening update with `torch.eye(n, out=buf)` (`eye.out`): a float64 buffer
of another shape (resized to `[n, n]`), a transposed buffer (written through
its strides), int64 and bool masks; `torch.eye` into a tensor that requires
grad and a negative size raise as in PyTorch and are caught. Saliency: the
embedded tokens are detached in place and made to require grad again
(`emb.detach_().requires_grad_()`: a leaf where the embedding's output was),
the rest of the model runs on them and the target logits' gradient gives
each token's saliency norm.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)

VOCAB, EMB, HID, CLASSES = 11, 6, 4, 3


class IRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMB)
        self.proj = nn.Linear(EMB, HID)
        self.rnn = nn.RNN(HID, HID, nonlinearity="relu", batch_first=True)
        self.head = nn.Linear(HID, CLASSES)
        nn.init.eye_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)
        nn.init.eye_(self.rnn.weight_hh_l0)
        nn.init.normal_(self.rnn.weight_ih_l0, std=0.1)
        nn.init.zeros_(self.rnn.bias_hh_l0)
        nn.init.zeros_(self.rnn.bias_ih_l0)

    def from_embedded(self, e):
        out, _ = self.rnn(self.proj(e))
        return self.head(out[:, -1])

    def forward(self, tokens):
        return self.from_embedded(self.emb(tokens))


model = IRNN()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
tokens = torch.randint(0, VOCAB, (5, 7))
labels = torch.randint(0, CLASSES, (5,))
for step in range(3):
    opt.zero_grad()
    loss = F.cross_entropy(model(tokens), labels)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()

# Identity buffers for a running whitening estimate.
feats = model.proj(model.emb(tokens)).detach().reshape(-1, HID).double()
ident = torch.empty(2, 2, dtype=torch.float64)
torch.eye(HID, out=ident)  # resized to [HID, HID]
cov = feats.T @ feats / feats.shape[0] + 1e-3 * ident
colmajor = torch.empty(HID + 2, HID).t()  # [HID, HID + 2], strides (1, HID)
torch.eye(HID, HID + 2, out=colmajor)
shrunk = 0.9 * cov.float() + 0.1 * colmajor[:, :HID]
diag_mask = torch.empty(HID, HID, dtype=torch.int64)
torch.eye(HID, out=diag_mask)
off_diag = (cov * (1 - diag_mask)).abs().sum()
bool_mask = torch.empty(3, 5, dtype=torch.bool)
torch.eye(3, 5, out=bool_mask)
picked = torch.randn(3, 5)[bool_mask]
try:
    torch.eye(HID, HID, out=model.rnn.weight_hh_l0)
except RuntimeError as e:
    print("caught:", e)
try:
    torch.eye(-1, out=ident)
except RuntimeError as e:
    print("caught:", e)

# Token saliency: gradients of the target logits w.r.t. the embeddings.
model.zero_grad(set_to_none=True)
emb = model.emb(tokens)
emb.detach_().requires_grad_()
logits = model.from_embedded(emb)
logits.gather(1, labels[:, None]).sum().backward()
saliency = emb.grad.norm(dim=-1)
top_token = saliency.argmax(dim=1)
print(shrunk.sum().item(), off_diag.item(), picked.shape, top_token.tolist())
