"""Gradient checkpointing as training code uses it: non-reentrant
`checkpoint` around pre-norm transformer blocks (attention, then a GELU MLP
ending in a Linear, each with a residual), `checkpoint_sequential` over a
Linear/ReLU stack, and the same model with early stopping turned off.

Early stopping (PyTorch's default) ends a block's recomputation at the last
tensor its forward saved. When that tensor is an input of an operator (the
block's last Linear saves its input and weight), autograd has already
numbered the operator's node, which is then dropped: every later node is
numbered one higher than the ops in the trace suggest. The replay must
number that node too, or the schedule diverges."""
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint, checkpoint_sequential, set_checkpoint_early_stop

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        # No bias: a key bias gets a gradient that is zero up to rounding,
        # which Adam would scale up to the learning rate.
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.proj = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.fc = nn.Linear(width, 2 * width)
        self.out = nn.Linear(2 * width, width)

    def attend(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(b, t, c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attend(x)
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class Model(nn.Module):
    def __init__(self, vocab: int, width: int, depth: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.blocks = nn.ModuleList(Block(width, 2) for _ in range(depth))
        self.head = nn.Linear(width, vocab)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        h = self.embed(idx)
        for block in self.blocks:
            h = checkpoint(block, h, use_reentrant=False)
        return self.head(h)


vocab, width = 11, 8
model = Model(vocab, width, 2)
opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
idx = torch.randint(0, vocab, (2, 5))
targets = torch.randint(0, vocab, (2, 5))
for step in range(2):
    opt.zero_grad(set_to_none=True)
    logits = model(idx)
    loss = F.cross_entropy(logits.view(-1, vocab), targets.view(-1))
    loss.backward()
    opt.step()
    print("transformer", step, round(loss.item(), 6))

# Early stopping off: the recomputation reruns the whole block.
with set_checkpoint_early_stop(False):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(idx).view(-1, vocab), targets.view(-1))
    loss.backward()
    opt.step()
    print("no early stop", round(loss.item(), 6))

# A plain stack checkpointed in segments; the input does not require grad.
stack = nn.Sequential(
    nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 3)
)
sgd = torch.optim.SGD(stack.parameters(), lr=0.1, momentum=0.9)
x = torch.randn(4, 6)
y = torch.randn(4, 3)
for step in range(2):
    sgd.zero_grad()
    out = checkpoint_sequential(stack, 2, x, use_reentrant=False)
    loss = F.mse_loss(out, y)
    loss.backward()
    sgd.step()
    print("sequential", step, round(loss.item(), 6))

# Batch size 1, a block ending in an elementwise product (mul saves both
# inputs), with the graph kept for a second backward.
gate = nn.Linear(6, 6)
value = nn.Linear(6, 6)


def gated(z: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(gate(z)) * value(z)


z = torch.randn(1, 6, requires_grad=True)
out = checkpoint(gated, z, use_reentrant=False).sum()
out.backward(retain_graph=True)
out.backward()
print("gated", z.grad.tolist())
