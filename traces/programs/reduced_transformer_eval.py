"""Transformer inference fast paths in bfloat16 and float16: a
`TransformerEncoder` sentence classifier and an `nn.MultiheadAttention`
pooler converted with `.to(dtype)` and evaluated in `eval()` under
`no_grad`.

The fused kernels (`_transformer_encoder_layer_fwd`,
`_native_multi_head_attention`) store every stage in the inputs' dtype:
the packed projection, `q + bias` and its scaling, the scores, the softmax,
`P·V`, the output projection, each residual sum, norm and feed-forward
product. With a right-padded batch the encoder packs it into a nested
tensor (each sentence's softmax over its own tokens); with
`enable_nested_tensor=False` the padded batch goes through ATen's masked
softmax (`x - max`, its `exp` and the reciprocal of their sum each rounded
to the dtype); without a mask, a plain softmax. Post-norm ReLU and pre-norm
GELU layers.
"""

import torch
from torch import nn

torch.manual_seed(0)

D, HEADS = 16, 4
tokens = torch.tensor([[3, 5, 6, 7, 0, 0], [4, 9, 2, 11, 12, 13], [8, 2, 0, 0, 0, 0]])
padding = tokens == 0


def encoder(norm_first, activation, nested):
    layer = nn.TransformerEncoderLayer(
        D, HEADS, dim_feedforward=32, activation=activation, batch_first=True, norm_first=norm_first
    )
    return nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=nested)


for dtype in (torch.bfloat16, torch.float16):
    emb = nn.Embedding(16, D, padding_idx=0).to(dtype)
    for norm_first, activation, nested in [(False, "relu", True), (False, "gelu", False), (True, "gelu", False)]:
        model = encoder(norm_first, activation, nested).to(dtype).eval()
        with torch.no_grad():
            h = model(emb(tokens), src_key_padding_mask=padding)
            unmasked = model(emb(tokens))
        print(dtype, norm_first, activation, h.float().abs().sum().item(), unmasked.float().abs().sum().item())

    pool = nn.MultiheadAttention(D, HEADS, batch_first=True).to(dtype).eval()
    query = torch.randn(3, 1, D).to(dtype)
    with torch.no_grad():
        x = emb(tokens)
        out, weights = pool(query, x, x, key_padding_mask=padding)
        self_out, _ = pool(x, x, x, need_weights=False)
    print(dtype, out.float().sum().item(), weights.float().sum(-1).tolist(), self_out.float().abs().sum().item())
