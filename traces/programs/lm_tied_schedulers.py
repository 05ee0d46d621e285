"""A tiny language-model head with the training-loop extras nanoGPT-style code uses.

A token Embedding with padding_idx whose weight is tied to the LM head
(`lm_head.weight = wte.weight`) plus a mean/sum EmbeddingBag context,
CrossEntropyLoss with label_smoothing and ignore_index, clip_grad_norm_,
AdamW(amsgrad=True) under CosineAnnealingLR; then a classifier trained by
Adam(fused=False, foreach=False) under OneCycleLR with a summed loss.
"""

import torch
from torch import nn

torch.manual_seed(0)

VOCAB, EMBD = 10, 4


class TiedLM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wte = nn.Embedding(VOCAB, EMBD, padding_idx=0)
        self.bag_mean = nn.EmbeddingBag(VOCAB, EMBD, mode="mean")
        self.bag_sum = nn.EmbeddingBag(VOCAB, EMBD, mode="sum")
        self.lm_head = nn.Linear(EMBD, VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying

    def forward(self, idx, bag, offsets):
        context = self.bag_mean(bag, offsets) + self.bag_sum(bag, offsets)
        return self.lm_head(self.wte(idx) + context.unsqueeze(1))


model = TiedLM()
opt = torch.optim.AdamW(model.parameters(), lr=1e-2, amsgrad=True)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=0)
idx = torch.randint(0, VOCAB, (2, 3))
targets = torch.randint(0, VOCAB, (2, 3))
bag = torch.randint(0, VOCAB, (5,))
offsets = torch.tensor([0, 2])
for step in range(2):
    opt.zero_grad()
    loss = criterion(model(idx, bag, offsets).reshape(-1, VOCAB), targets.reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    opt.step()
    sched.step()
    print(f"lm step {step}: loss {loss.item():.4f} lr {sched.get_last_lr()[0]:.5f}")

clf = nn.Linear(EMBD, 3)
opt2 = torch.optim.Adam(clf.parameters(), lr=1e-2, fused=False, foreach=False)
sched2 = torch.optim.lr_scheduler.OneCycleLR(opt2, max_lr=0.1, total_steps=4)
labels = torch.tensor([0, 1, 2, 1])
for step in range(2):
    opt2.zero_grad()
    loss2 = nn.functional.cross_entropy(clf(torch.randn(4, EMBD)), labels, reduction="sum")
    loss2.backward()
    opt2.step()
    sched2.step()
print(f"classifier loss {loss2.item():.4f}")
