"""Copies of models and tensors as training code makes them: a DQN-style
target network made by `copy.deepcopy` of a Q-network with BatchNorm buffers
and synced by `load_state_dict`, an EMA of the model through
`torch.optim.swa_utils.AveragedModel` (a deepcopy; `get_ema_multi_avg_fn`),
SWA with `SWALR` and `update_bn`, a best-model snapshot
`copy.deepcopy(model.state_dict())` restored at the end, and a packed GRU over
an unsorted batch whose `pad_packed_sequence` lengths feed a masked mean,
with a head under the old `torch.nn.utils.weight_norm` (its
`weight_v = Parameter(weight.data)` starts a version counter of its own)."""
import copy
import warnings

import torch
from torch import nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.optim.swa_utils import AveragedModel, SWALR, get_ema_multi_avg_fn, update_bn

torch.manual_seed(0)
warnings.filterwarnings("ignore", category=FutureWarning)

# A Q-network and its target network (DQN): the target is a deepcopy, synced
# every second step.
q = nn.Sequential(nn.Linear(4, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
target = copy.deepcopy(q)
target.eval()
q_opt = torch.optim.Adam(q.parameters(), lr=1e-2)
best_loss, best_state = float("inf"), None
for step in range(4):
    s, s2 = torch.randn(6, 4), torch.randn(6, 4)
    a = torch.randint(0, 3, (6,))
    r = torch.randn(6)
    done = (torch.rand(6) < 0.2).float()
    with torch.no_grad():
        y = r + 0.99 * (1 - done) * target(s2).max(1).values
    q_sa = q(s).gather(1, a.unsqueeze(1)).squeeze(1)
    loss = F.smooth_l1_loss(q_sa, y)
    q_opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q.parameters(), 10.0)
    q_opt.step()
    if step % 2 == 1:
        target.load_state_dict(q.state_dict())
    if loss.item() < best_loss:
        best_loss, best_state = loss.item(), copy.deepcopy(q.state_dict())
    print("dqn", step, round(loss.item(), 4))
q.load_state_dict(best_state)
snapshot = copy.deepcopy(q[1].running_mean)
print("best", round(best_loss, 4), snapshot.sum().item())

# EMA and SWA of a classifier with BatchNorm.
model = nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
swa = AveragedModel(model)
swa_sched = SWALR(opt, swa_lr=0.05, anneal_epochs=2)
loader = [(torch.randn(6, 4), torch.randint(0, 2, (6,))) for _ in range(2)]
for epoch in range(2):
    for x, t in loader:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        ema.update_parameters(model)
    swa.update_parameters(model)
    swa_sched.step()
    print("swa", epoch, round(loss.item(), 4))
update_bn(loader, swa)
with torch.no_grad():
    print(ema(loader[0][0]).sum().item(), swa(loader[0][0]).sum().item())


# A GRU over an unsorted padded batch: pad_packed_sequence's lengths (made
# inside its C++ code) reordered by the packed sequence's unsorted indices;
# the head under the old weight_norm (which a deepcopy would refuse).
class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(12, 5, padding_idx=0)
        self.rnn = nn.GRU(5, 6, batch_first=True)
        self.head = nn.utils.weight_norm(nn.Linear(6, 2))

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.emb(tokens), lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, out_lengths = pad_packed_sequence(out, batch_first=True)
        mask = torch.arange(out.size(1)).unsqueeze(0) < out_lengths.unsqueeze(1)
        pooled = (out * mask.unsqueeze(-1)).sum(1) / out_lengths.unsqueeze(1).to(out.dtype)
        return self.head(pooled), out_lengths


enc = Encoder()
enc_opt = torch.optim.SGD(enc.parameters(), lr=0.1)
lengths = torch.tensor([3, 5, 2, 4])
tokens = torch.randint(1, 12, (4, 5)).masked_fill(torch.arange(5).unsqueeze(0) >= lengths.unsqueeze(1), 0)
labels = torch.tensor([0, 1, 1, 0])
for step in range(2):
    logits, out_lengths = enc(tokens, lengths)
    loss = F.cross_entropy(logits, labels)
    enc_opt.zero_grad()
    loss.backward()
    enc_opt.step()
    print("gru", step, round(loss.item(), 4), out_lengths.tolist())
