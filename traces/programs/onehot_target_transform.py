"""The data tutorial's one-hot `target_transform` and the indexing idioms a
training loop builds on it, every index a 0-dim tensor: a custom `Dataset`
whose labels become one-hot vectors by
`torch.zeros(10).scatter_(0, torch.tensor(label), value=1)` (the tutorial's
`Lambda` transform), batched by a shuffling `DataLoader` for a small MLP
trained with cross-entropy on the one-hot probabilities and SGD; then a
per-sample loss picked by `gather(0, tensor(label))` (its backward scatters
the gradient through the same 0-dim index), a class-count histogram by
`scatter_add_(0, tensor(label), tensor(1.))`, the per-class best score by
`scatter_reduce(0, tensor(label), score, "amax")`, and a 0-dim `self`
scattered with a one-element index.

gather, scatter (src and value, in place and not), scatter_add and
scatter_reduce take a 0-dim index as a one-element vector (PyTorch's
`ensure_nonempty_dim`): its value is the coordinate along `dim`."""
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)

CLASSES = 6


class ToyImages(Dataset):
    def __init__(self, n, transform=None, target_transform=None):
        self.images = torch.randint(0, 256, (n, 1, 6, 6), dtype=torch.uint8)
        self.labels = torch.randint(0, CLASSES, (n,))
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        image, label = self.images[idx], self.labels[idx].item()
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


def to_float(img):
    return img.float().div(255)


def one_hot(y):
    return torch.zeros(CLASSES, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)


data = ToyImages(12, transform=to_float, target_transform=one_hot)
loader = DataLoader(data, batch_size=4, shuffle=True)
model = nn.Sequential(nn.Flatten(), nn.Linear(36, 16), nn.ReLU(), nn.Linear(16, CLASSES))
opt = torch.optim.SGD(model.parameters(), lr=0.5)

for epoch in range(2):
    for images, targets in loader:
        loss = nn.functional.cross_entropy(model(images), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()

# Per-sample loss through a 0-dim index: GatherBackward0 scatters into zeros.
counts = torch.zeros(CLASSES)
best = torch.full((CLASSES,), -1.0)
total = 0.0
for i in range(4):
    image, target = data[i]
    label = torch.tensor(data.labels[i].item())
    log_probs = model(image.unsqueeze(0)).log_softmax(-1).squeeze(0)
    picked = log_probs.gather(0, label)
    total = total - picked
    counts.scatter_add_(0, label, torch.tensor(1.0))
    best = best.scatter_reduce(0, label, log_probs.detach().max(), "amax")
    soft = torch.zeros(CLASSES).scatter(0, label, torch.tensor(0.9))
    soft = soft.scatter(0, label, 0.8)
    assert torch.equal(target.argmax(), label)
opt.zero_grad()
(total / 4).backward()
opt.step()

flag = torch.tensor(0.0).scatter(0, torch.tensor([0]), 1.0)
print(loss.item(), counts.tolist(), best.tolist(), soft.tolist(), flag.item())
