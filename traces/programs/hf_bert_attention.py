"""A BERT encoder fine-tuned for next-sentence prediction the way Hugging
Face's modeling code writes it: self-attention spelled out (the extended
attention mask `(1 - mask) * finfo.min`, heads split by `view`/`permute`,
`matmul / sqrt(d)`, softmax, dropout, a head mask), post-norm residual
blocks ending in LayerNorm, a tanh pooler and a two-way head, AdamW with a
linear warmup/decay `LambdaLR`, `clip_grad_norm_`; the first layer under
non-reentrant gradient checkpointing (`use_reentrant=False`).

That block ends in a LayerNorm, so the checkpoint's early stop raises from
the pack of `native_layer_norm`'s last saved statistic (`rstd`), after
autograd attached NativeLayerNormBackward0 to the recomputed output: the
recomputation ends with that op and its node (the capture finishes the op
before each pack, CAPTURE.md §6.7)."""
import math
import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)
H, NH = 16, 4


class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        self.dropout = nn.Dropout(0.1)
        self.dense = nn.Linear(H, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)

    def t(self, x):
        return x.view(x.size()[:-1] + (NH, H // NH)).permute(0, 2, 1, 3)

    def forward(self, x, ext_mask, head_mask):
        q, k, v = self.t(self.query(x)), self.t(self.key(x)), self.t(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(H // NH)
        scores = scores + ext_mask
        probs = self.dropout(nn.functional.softmax(scores, dim=-1)) * head_mask
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.size()[:-2] + (H,))
        return self.ln(self.dropout(self.dense(ctx)) + x)


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = SelfAttention()
        self.inter = nn.Linear(H, 4 * H)
        self.out = nn.Linear(4 * H, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)

    def forward(self, x, m, hm):
        a = self.attn(x, m, hm)
        return self.ln(F.dropout(self.out(F.gelu(self.inter(a))), 0.1, self.training) + a)


emb = nn.Embedding(30, H)
layers = nn.ModuleList([Layer(), Layer()])
pooler = nn.Linear(H, H)
nsp = nn.Linear(H, 2)
params = list(emb.parameters()) + list(layers.parameters()) + list(pooler.parameters()) + list(nsp.parameters())
opt = torch.optim.AdamW(params, lr=2e-5 * 100)
total, warm = 4, 1
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / max(1, warm) if s < warm else max(0.0, (total - s) / max(1, total - warm)))
ids = torch.randint(1, 30, (3, 6))
attn_mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0]])
labels = torch.tensor([0, 1, 1])
head_mask = torch.tensor([1.0, 1.0, 0.0, 1.0]).view(1, -1, 1, 1)
for step in range(3):
    ext = attn_mask[:, None, None, :].to(dtype=torch.float32)
    ext = (1.0 - ext) * torch.finfo(torch.float32).min
    x = emb(ids)
    for i, layer in enumerate(layers):
        x = checkpoint(layer, x, ext, head_mask, use_reentrant=False) if i == 0 else layer(x, ext, head_mask)
    pooled = torch.tanh(pooler(x[:, 0]))
    loss = F.cross_entropy(nsp(pooled), labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    sched.step()
    opt.zero_grad()
