"""A seq2seq `nn.Transformer` (encoder-decoder) trained with teacher forcing,
then greedy decoding — once with `batch_first=True`, once sequence-first.

Token embeddings with a padding index feed a 2+2-layer `nn.Transformer`
(dropout on) under a causal `generate_square_subsequent_mask` (with
`tgt_is_causal=True`) and three key padding masks (source, target,
memory); the sequence-first model transposes its inputs and output. Cross
entropy ignores the padding target; Adam. In `eval()` under `no_grad` the
batch-first encoder takes the fused `_transformer_encoder_layer_fwd` path
(no padding mask there: nested tensors are unsupported), the sequence-first
one the ordinary path; each decoder step re-runs `model.decoder` with a
fresh causal mask and the memory padding mask, and the argmax token is
appended.
"""

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(3)

V, D, S, T, B = 11, 16, 7, 6, 3
PAD, BOS = 0, 1

for batch_first in (True, False):
    emb_src = nn.Embedding(V, D, padding_idx=PAD)
    emb_tgt = nn.Embedding(V, D, padding_idx=PAD)
    model = nn.Transformer(
        d_model=D,
        nhead=4,
        num_encoder_layers=2,
        num_decoder_layers=2,
        dim_feedforward=32,
        dropout=0.1,
        batch_first=batch_first,
    )
    generator = nn.Linear(D, V)
    params = [*model.parameters(), *emb_src.parameters(), *emb_tgt.parameters(), *generator.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)

    src = torch.randint(2, V, (B, S))
    src[0, 5:] = PAD
    tgt = torch.randint(2, V, (B, T))
    tgt[:, 0] = BOS
    tgt[1, 4:] = PAD
    tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
    src_pad, tgt_pad = src == PAD, tgt_in == PAD
    causal = nn.Transformer.generate_square_subsequent_mask(T - 1)

    def seq_major(x: torch.Tensor) -> torch.Tensor:
        return x if batch_first else x.transpose(0, 1)

    model.train()
    for step in range(2):
        out = model(
            seq_major(emb_src(src)),
            seq_major(emb_tgt(tgt_in)),
            tgt_mask=causal,
            src_key_padding_mask=src_pad,
            tgt_key_padding_mask=tgt_pad,
            memory_key_padding_mask=src_pad,
            tgt_is_causal=True,
        )
        logits = generator(seq_major(out))
        loss = F.cross_entropy(logits.reshape(-1, V), tgt_out.reshape(-1), ignore_index=PAD)
        opt.zero_grad()
        loss.backward()
        opt.step()

    model.eval()
    with torch.no_grad():
        memory = model.encoder(seq_major(emb_src(src)))
        ys = torch.full((B, 1), BOS, dtype=torch.long)
        for _ in range(T - 1):
            mask = nn.Transformer.generate_square_subsequent_mask(ys.size(1))
            o = model.decoder(seq_major(emb_tgt(ys)), memory, tgt_mask=mask, memory_key_padding_mask=src_pad)
            next_token = generator(seq_major(o)[:, -1]).argmax(-1, keepdim=True)
            ys = torch.cat([ys, next_token], dim=1)
    print(batch_first, f"{loss.item():.4f}", ys.tolist())
