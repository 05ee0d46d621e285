"""Twin of runtime/examples/native_finetune.rs: transfer learning. A
classifier whose backbone matches a pretrained network's takes that
network's state_dict non-strictly (the backbone's entries are copied; the
old head's keys are unexpected, the new head's missing), then trains three
steps with SGD (momentum with dampening, weight decay) on CrossEntropyLoss
through Tanh and Dropout, and is evaluated without grad."""

import torch
from torch import nn

torch.manual_seed(0)
pretrained = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 4))
model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Dropout(0.2), nn.Linear(8, 3))
incompatible = model.load_state_dict(pretrained.state_dict(), strict=False)
assert incompatible.missing_keys == ["3.weight", "3.bias"]
assert incompatible.unexpected_keys == ["2.weight", "2.bias"]
x = torch.randn(10, 5)
y = torch.randint(0, 3, (10,))
opt = torch.optim.SGD(
    model.parameters(), lr=0.1, momentum=0.9, dampening=0.1, weight_decay=1e-2, foreach=False
)
loss_fn = nn.CrossEntropyLoss()
for step in range(3):
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
model.eval()
with torch.no_grad():
    pred = model(x).argmax(1)
