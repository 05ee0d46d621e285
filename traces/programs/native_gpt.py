"""Twin of runtime/examples/native_gpt.rs: a tiny GPT-style language model
(token and position Embedding, a pre-LayerNorm block whose MLP uses
tanh-approximate GELU behind a Sigmoid gate, a final LayerNorm, a Linear
head over (batch, time, channels)) trained two steps on CrossEntropyLoss
with AdamW for the matrices and Adam with L2 weight decay for the rest.
The model starts from another model's state_dict and is evaluated
without grad at the end."""

import torch
from torch import nn
from torch.nn import functional as F

VOCAB, BLOCK, EMBD = 7, 4, 4


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln = nn.LayerNorm(EMBD)
        self.fc = nn.Linear(EMBD, 4 * EMBD)
        self.gelu = nn.GELU(approximate="tanh")
        self.proj = nn.Linear(4 * EMBD, EMBD)
        self.gate = nn.Linear(EMBD, EMBD)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        h = self.ln(x)
        return x + self.sigmoid(self.gate(h)) * self.proj(self.gelu(self.fc(h)))


class TinyGPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, EMBD)
        self.wpe = nn.Embedding(BLOCK, EMBD)
        self.block = Block()
        self.ln_f = nn.LayerNorm(EMBD)
        self.head = nn.Linear(EMBD, VOCAB, bias=False)

    def forward(self, idx):
        pos = torch.arange(idx.shape[1])
        x = self.wte(idx) + self.wpe(pos)
        return self.head(self.ln_f(self.block(x)))


torch.manual_seed(0)
model = TinyGPT()
model.load_state_dict(TinyGPT().state_dict())
idx = torch.randint(0, VOCAB, (2, BLOCK))
targets = torch.randint(0, VOCAB, (2, BLOCK))
matrices = [p for p in model.parameters() if p.dim() >= 2]
others = [p for p in model.parameters() if p.dim() < 2]
opt_w = torch.optim.AdamW(matrices, lr=0.01, weight_decay=0.1, foreach=False)
opt_b = torch.optim.Adam(others, lr=0.01, weight_decay=0.01, foreach=False)
for step in range(2):
    opt_w.zero_grad()
    opt_b.zero_grad(set_to_none=False)
    logits = model(idx)
    loss = F.cross_entropy(logits.view(-1, VOCAB), targets.view(-1))
    loss.backward()
    opt_w.step()
    opt_b.step()
model.eval()
with torch.no_grad():
    pred = model(idx).argmax(-1)
