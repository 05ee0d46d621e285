"""A decoder written the way Hugging Face transformers writes its Llama,
Qwen2 and T5 layers, trained two AdamW steps, then greedy generation.

A `position_ids` buffer made by `torch.arange(n).expand((1, -1))` (a new
size-1 leading dimension keeps stride n); rotary embeddings from an
`inv_freq` buffer (`inv_freq[None, :, None].expand(...) @ position_ids`,
`cat((freqs, freqs))`, `rotate_half` by `cat((-x2, x1))`); RMSNorm in
float32 (`pow(2).mean`, `rsqrt`, cast back); a KV cache whose layers start
as `torch.tensor([])` and grow by `cat(..., dim=-2)` even while training
(CatBackward0 hands the empty start `zeros([0])`); layer 0 attends eagerly
(`repeat_kv` by `expand` + `reshape`, T5's log-bucketed relative position
bias from an embedding `permute`d to `(1, H, q, k)` and added to the
scores, a causal mask from `torch.full`/`triu`/`masked_fill` combined with
the padding mask); layer 1 calls `F.scaled_dot_product_attention` with
`enable_gqa=True` (4 query heads over 2 key/value heads, the CPU flash
kernel and its backward); SwiGLU MLP; labels masked with `torch.isin`;
AdamW with decay and no-decay groups. Then greedy generation under
`no_grad` with the cache, stopping rows with `torch.isin(next, eos_ids)`,
and a banned-token filter (`isin(..., invert=True)` against 24 ids, the
sorting path, `assume_unique=True`).
"""
# cpu-dependent-values: AdamW divides each gradient by its own magnitude, so the rounding of a near-zero gradient element moves its weight by a whole step

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

VOCAB, HIDDEN, HEADS, KV_HEADS, LAYERS, INTER = 100, 32, 4, 2, 2, 64
HEAD_DIM = HIDDEN // HEADS
BUCKETS, MAX_DISTANCE = 8, 16
PAD, EOS = 0, 2


class Cache:
    def __init__(self):
        self.keys = [None] * LAYERS
        self.values = [None] * LAYERS

    def update(self, k, v, layer):
        if self.keys[layer] is None:
            self.keys[layer] = torch.tensor([], dtype=k.dtype)
            self.values[layer] = torch.tensor([], dtype=v.dtype)
        self.keys[layer] = torch.cat([self.keys[layer], k], dim=-2)
        self.values[layer] = torch.cat([self.values[layer], v], dim=-2)
        return self.keys[layer], self.values[layer]

    def length(self):
        return 0 if self.keys[0] is None else self.keys[0].shape[-2]


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.to(torch.float32)
        variance = x.pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.eps)
        return self.weight * x.to(dtype)


class Rotary(nn.Module):
    def __init__(self, dim, base=10000.0):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, x, position_ids):
        inv = self.inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
        pos = position_ids[:, None, :].float()
        freqs = (inv @ pos).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary(q, k, cos, sin):
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


def repeat_kv(x, n_rep):
    b, h, s, d = x.shape
    return x[:, :, None, :, :].expand(b, h, n_rep, s, d).reshape(b, h * n_rep, s, d)


def relative_bucket(relative_position):
    # T5's bidirectional=False bucketing: exact for small distances, log-spaced beyond.
    relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
    max_exact = BUCKETS // 2
    is_small = relative_position < max_exact
    large = max_exact + (
        torch.log(relative_position.float() / max_exact)
        / math.log(MAX_DISTANCE / max_exact)
        * (BUCKETS - max_exact)
    ).to(torch.long)
    large = torch.min(large, torch.full_like(large, BUCKETS - 1))
    return torch.where(is_small, relative_position, large)


class Attention(nn.Module):
    def __init__(self, eager):
        super().__init__()
        self.eager = eager
        self.q_proj = nn.Linear(HIDDEN, HEADS * HEAD_DIM, bias=True)
        self.k_proj = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=True)
        self.v_proj = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=True)
        self.o_proj = nn.Linear(HEADS * HEAD_DIM, HIDDEN, bias=False)
        if eager:
            self.relative_bias = nn.Embedding(BUCKETS, HEADS)

    def position_bias(self, q_len, k_len, past):
        context = torch.arange(past, past + q_len, dtype=torch.long)[:, None]
        memory = torch.arange(k_len, dtype=torch.long)[None, :]
        buckets = relative_bucket(memory - context)
        values = self.relative_bias(buckets)  # (q, k, H)
        return values.permute([2, 0, 1]).unsqueeze(0)  # (1, H, q, k)

    def forward(self, x, cos, sin, mask, cache, layer, is_causal):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, HEADS, HEAD_DIM).transpose(1, 2)
        k = self.k_proj(x).view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2)
        v = self.v_proj(x).view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2)
        q, k = apply_rotary(q, k, cos, sin)
        past = 0 if cache.keys[layer] is None else cache.keys[layer].shape[-2]
        k, v = cache.update(k, v, layer)
        if self.eager:
            k, v = repeat_kv(k, HEADS // KV_HEADS), repeat_kv(v, HEADS // KV_HEADS)
            scores = torch.matmul(q, k.transpose(2, 3)) * (HEAD_DIM ** -0.5)
            scores = scores + self.position_bias(t, k.shape[-2], past)
            if mask is not None:
                scores = scores + mask
            weights = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
            out = torch.matmul(weights, v)
        elif mask is not None:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)
        else:
            out = F.scaled_dot_product_attention(q, k, v, is_causal=is_causal, enable_gqa=True)
        out = out.transpose(1, 2).reshape(b, t, HEADS * HEAD_DIM)
        return self.o_proj(out)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate_proj = nn.Linear(HIDDEN, INTER, bias=False)
        self.up_proj = nn.Linear(HIDDEN, INTER, bias=False)
        self.down_proj = nn.Linear(INTER, HIDDEN, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, eager):
        super().__init__()
        self.input_layernorm = RMSNorm(HIDDEN)
        self.self_attn = Attention(eager)
        self.post_attention_layernorm = RMSNorm(HIDDEN)
        self.mlp = MLP()

    def forward(self, x, cos, sin, mask, cache, layer, is_causal):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask, cache, layer, is_causal)
        return x + self.mlp(self.post_attention_layernorm(x))


class Decoder(nn.Module):
    def __init__(self, max_positions=32):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, HIDDEN, padding_idx=PAD)
        self.register_buffer(
            "position_ids", torch.arange(max_positions).expand((1, -1)), persistent=False
        )
        self.rotary = Rotary(HEAD_DIM)
        self.layers = nn.ModuleList([Layer(eager=(i == 0)) for i in range(LAYERS)])
        self.norm = RMSNorm(HIDDEN)
        self.lm_head = nn.Linear(HIDDEN, VOCAB, bias=False)
        self.apply(self._init)

    @staticmethod
    def _init(module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def causal_mask(self, attention_mask, q_len, past):
        k_len = past + q_len
        min_value = torch.finfo(torch.float32).min
        mask = torch.full((q_len, k_len), min_value)
        mask = torch.triu(mask, diagonal=past + 1)
        mask = mask[None, None, :, :].expand(attention_mask.shape[0], 1, -1, -1).clone()
        padding = attention_mask[:, None, None, :k_len].eq(0)
        return mask.masked_fill(padding, min_value)

    def forward(self, ids, attention_mask, cache):
        b, t = ids.shape
        past = cache.length()
        x = self.embed_tokens(ids)
        position_ids = self.position_ids[:, past : past + t].expand(b, -1)
        cos, sin = self.rotary(x, position_ids)
        padded = bool((attention_mask == 0).any())
        eager_mask = self.causal_mask(attention_mask, t, past)
        sdpa_mask = eager_mask if padded else None
        for i, layer in enumerate(self.layers):
            mask = eager_mask if i == 0 else sdpa_mask
            x = layer(x, cos, sin, mask, cache, i, is_causal=(t > 1))
        return self.lm_head(self.norm(x))


model = Decoder()
decay, no_decay = [], []
for name, p in model.named_parameters():
    (no_decay if p.dim() < 2 or "norm" in name or "embed" in name else decay).append(p)
optimizer = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
    lr=3e-3,
    betas=(0.9, 0.95),
)
special = torch.tensor([PAD, EOS, 7])

for step, (batch, length) in enumerate([(2, 10), (1, 8)]):
    ids = torch.randint(3, VOCAB, (batch, length))
    ids[0, 3] = 7
    attention_mask = torch.ones(batch, length, dtype=torch.long)
    if batch == 2:
        attention_mask[1, -3:] = 0
        ids[1, -3:] = PAD
    labels = ids.clone()
    labels[torch.isin(labels, special)] = -100
    logits = model(ids, attention_mask, Cache()).float()
    shift_labels = F.pad(labels, (0, 1), value=-100)[..., 1:]
    loss = F.cross_entropy(logits.view(-1, VOCAB), shift_labels.reshape(-1), ignore_index=-100)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    print("step", step, "loss", round(loss.item(), 4))

model.eval()
banned = torch.arange(40, 64)
eos_ids = torch.tensor([EOS, 11])
with torch.no_grad():
    prompt = torch.randint(3, VOCAB, (2, 5))
    cache = Cache()
    attention_mask = torch.ones(2, 5, dtype=torch.long)
    unfinished = torch.ones(2, dtype=torch.long)
    tokens = prompt
    step_ids = prompt
    for _ in range(4):
        logits = model(step_ids, attention_mask, cache)[:, -1, :].float()
        allowed = torch.isin(torch.arange(VOCAB), banned, assume_unique=True, invert=True)
        logits = logits.masked_fill(~allowed, float("-inf"))
        next_tokens = logits.argmax(dim=-1)
        next_tokens = next_tokens * unfinished + PAD * (1 - unfinished)
        tokens = torch.cat([tokens, next_tokens[:, None]], dim=-1)
        attention_mask = torch.cat([attention_mask, attention_mask.new_ones((2, 1))], dim=-1)
        # The first generated token of row 0 counts as an end of sequence too.
        if tokens.shape[1] == 6:
            eos_ids = torch.cat([eos_ids, next_tokens[:1]])
        unfinished = unfinished & ~torch.isin(next_tokens, eos_ids)
        step_ids = next_tokens[:, None]
        if unfinished.max() == 0:
            break
    print("generated", tokens.tolist(), "unfinished", unfinished.tolist())
    # One-token prompts: (2, 4, 1, 1) scores plus the (1, 4, 1, 1) bias whose
    # size-1 dimensions have stride 4 (the sum keeps TensorIterator's strides).
    first = model(prompt[:, :1], torch.ones(2, 1, dtype=torch.long), Cache())
    print("first-token argmax", first[:, -1].argmax(-1).tolist())
