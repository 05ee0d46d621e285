"""A character-level MLP language model written the way makemore's
lectures write it: a hand-built training loop with no nn.Module.

Words are turned into (context of 3 characters -> next character) pairs;
the embedding is looked up by indexing the table (`C[X]`, a 3-D gather),
flattened with `view`, through a linear layer whose bias is dropped for a
hand-written BatchNorm (batch `mean`/`var` over dim 0 with `keepdim`,
`bngain * (h - mean) / sqrt(var + eps) + bnbias`, running buffers updated
under `torch.no_grad()` by `0.999 * r + 0.001 * batch`), `tanh`,
`F.cross_entropy`, a manual SGD step `p.data += -lr * p.grad` after
setting every `p.grad = None`. Minibatches come from `torch.randint` with an
explicit `torch.Generator`. Then a split loss with the running statistics
and sampling: `softmax`, `torch.multinomial(..., generator=g)`, `.item()`.
"""
import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia",
         "amelia", "harper", "evelyn", "abigail", "emily", "ella", "liam",
         "noah", "oliver", "elijah", "james", "william", "benjamin", "lucas"]
chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
vocab_size = len(itos)
block_size = 3


def build_dataset(ws):
    X, Y = [], []
    for w in ws:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


Xtr, Ytr = build_dataset(words[:17])
Xdev, Ydev = build_dataset(words[17:])

g = torch.Generator().manual_seed(2147483647)
n_embd, n_hidden = 6, 32
C = torch.randn((vocab_size, n_embd), generator=g)
W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5 / 3) / (n_embd * block_size) ** 0.5
W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.01
b2 = torch.randn(vocab_size, generator=g) * 0
bngain = torch.ones((1, n_hidden))
bnbias = torch.zeros((1, n_hidden))
bnmean_running = torch.zeros((1, n_hidden))
bnstd_running = torch.ones((1, n_hidden))
parameters = [C, W1, W2, b2, bngain, bnbias]
for p in parameters:
    p.requires_grad = True

batch_size = 16
lossi = []
for i in range(6):
    ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
    Xb, Yb = Xtr[ix], Ytr[ix]
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hpreact = embcat @ W1
    bnmeani = hpreact.mean(0, keepdim=True)
    bnvari = hpreact.var(0, keepdim=True)
    hpreact = bngain * (hpreact - bnmeani) / torch.sqrt(bnvari + 1e-5) + bnbias
    with torch.no_grad():
        bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
        bnstd_running = 0.999 * bnstd_running + 0.001 * bnvari.sqrt()
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Yb)
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = 0.1 if i < 4 else 0.01
    for p in parameters:
        p.data += -lr * p.grad
    lossi.append(loss.log10().item())


@torch.no_grad()
def split_loss(x, y):
    emb = C[x]
    hpreact = emb.view(emb.shape[0], -1) @ W1
    hpreact = bngain * (hpreact - bnmean_running) / bnstd_running + bnbias
    logits = torch.tanh(hpreact) @ W2 + b2
    return F.cross_entropy(logits, y).item()


print(split_loss(Xtr, Ytr), split_loss(Xdev, Ydev), lossi)

g = torch.Generator().manual_seed(2147483647 + 10)
for _ in range(3):
    out = []
    context = [0] * block_size
    while True:
        emb = C[torch.tensor([context])]
        hpreact = emb.view(1, -1) @ W1
        hpreact = bngain * (hpreact - bnmean_running) / bnstd_running + bnbias
        logits = torch.tanh(hpreact) @ W2 + b2
        probs = F.softmax(logits, dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]
        out.append(ix)
        if ix == 0 or len(out) >= 8:
            break
    print("".join(itos[i] for i in out))
