"""Skip-gram with negative sampling, word2vec style: the centre word's
embedding and a bag of context words (EmbeddingBag, mode="sum"), both
sparse=True; the input table by SGD, the context table by Adagrad, which
coalesce the sparse gradients and add them into the dense weights."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
vocab, dim = 16, 6
centre = nn.Embedding(vocab, dim, sparse=True)
context = nn.EmbeddingBag(vocab, dim, mode="sum", sparse=True)
sgd = torch.optim.SGD(centre.parameters(), lr=0.2)
adagrad = torch.optim.Adagrad(context.parameters(), lr=0.1)
corpus = torch.randint(0, vocab, (40,))
for step in range(3):
    words = corpus[step * 8 : step * 8 + 8]
    positives = corpus[step * 8 + 1 : step * 8 + 9]
    # three negatives per word, summed as one bag each
    negatives = torch.randint(0, vocab, (8, 3))
    pos = (centre(words) * context(positives, torch.arange(8))).sum(-1)
    neg = (centre(words) * context(negatives.reshape(-1), torch.arange(0, 24, 3))).sum(-1)
    loss = -(F.logsigmoid(pos) + F.logsigmoid(-neg)).mean()
    sgd.zero_grad()
    adagrad.zero_grad()
    loss.backward()
    sgd.step()
    adagrad.step()
    print(step, round(loss.item(), 6))
print(centre.weight[:2].tolist())
