"""Evaluation under `torch.inference_mode()` after two training steps.

Inside inference mode the Autograd keys are excluded, so PyTorch's composite
operators (CompositeImplicitAutograd) decompose below the dispatch mode and
the capture records each one whole: `linear` on 3-d inputs, `layer_norm`,
`dropout` in eval, `scaled_dot_product_attention`, `softmax.int`,
`log_softmax.int`, `cross_entropy_loss`, `matmul`, `flatten`, `reshape`,
`conv2d`, `batch_norm`, `max_pool2d`, `adaptive_avg_pool2d`, `chunk`,
`contiguous`, `to(dtype)`, `type_as`, `view_as`, `expand_as`, `group_norm`,
`item`, and the `resolve_conj` and `resolve_neg` that `tolist()` calls.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)


class TinyLM(nn.Module):
    def __init__(self, vocab=11, dim=8, heads=2):
        super().__init__()
        self.heads = heads
        self.emb = nn.Embedding(vocab, dim)
        self.ln = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(dim, vocab)

    def forward(self, idx):
        b, t = idx.shape
        h = self.ln(self.emb(idx))
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        q, k, v = (z.view(b, t, self.heads, -1).transpose(1, 2) for z in (q, k, v))
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        a = a.transpose(1, 2).contiguous().view(b, t, -1)
        return self.head(self.drop(a + h))


class TinyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.gn = nn.GroupNorm(2, 4)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        x = F.adaptive_avg_pool2d(self.gn(x), 1)
        return self.fc(torch.flatten(x, 1))


lm, cnn = TinyLM(), TinyCNN()
opt = torch.optim.SGD(list(lm.parameters()) + list(cnn.parameters()), lr=0.1)
idx = torch.randint(0, 11, (2, 4))
img = torch.randn(2, 2, 6, 6)
labels = torch.randint(0, 3, (2,))
for step in range(2):
    opt.zero_grad()
    logits = lm(idx[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, 11), idx[:, 1:].reshape(-1))
    loss = loss + F.cross_entropy(cnn(img), labels)
    loss.backward()
    opt.step()

lm.eval()
cnn.eval()
with torch.inference_mode():
    logits = lm(idx)
    probs = F.softmax(logits, dim=-1)
    logp = F.log_softmax(logits.float(), dim=-1)
    nll = F.cross_entropy(logits[:, -1, :], idx[:, 0])
    scores = torch.matmul(probs, probs.transpose(-1, -2))
    flat = logits.reshape(2, -1)
    copied = logits.transpose(1, 2).reshape(2, -1)
    scores_flat = torch.flatten(scores.transpose(0, 1), 1)
    mask = (probs > 0.1).type_as(probs)
    same = flat.view_as(flat).expand_as(flat)
    out = cnn(img)
    accuracy = (out.argmax(dim=1) == labels).to(torch.float32).mean()
    # Reading results out, as an evaluation loop reports them: `item()` and
    # `tolist()` are composites too (`tolist` first resolves the conjugate
    # and negative bits, the tensor itself when they are unset).
    print("accuracy", accuracy.item(), "nll", round(nll.item(), 6))
    print("predictions", out.argmax(dim=1).tolist(), [round(p, 6) for p in probs[0, -1].tolist()])
