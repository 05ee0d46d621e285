"""A two-layer graph attention network (GAT) whose adjacency is a sparse COO
tensor made dense, trained by Adam.

The weighted adjacency is built as `torch.sparse_coo_tensor(edge_index, w,
size).to_dense()` from an edge list that names some edges twice
(uncoalesced: `to_dense` sums the duplicates) with learnable sigmoid edge
weights `w`: `_to_dense` (SparseCPU) with ToDenseBackward0, whose gradient
is the dense gradient masked to the coalesced pattern (`is_coalesced`,
`_coalesce`, `sparse_mask`), then SparseCooTensorWithDimsAndTensorsBackward0
(`sparse_mask` by the uncoalesced edge list, `_values`). Attention scores
(LeakyReLU of the source and destination terms) are masked to the edges
with `masked_fill`, normalised by `softmax` and scaled by the dense edge
weights; two heads are averaged, ELU between the layers. Node features of a
few nodes are a hybrid sparse tensor (one sparse, one dense dimension)
made dense and added as a learned correction. After training, the
adjacency coalesced in `no_grad` is made dense under `inference_mode`
(there `to_dense` itself is recorded: the composite is seen whole) and in
`no_grad` for the accuracy check.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
n, features, hidden, classes, heads = 10, 5, 6, 3, 2
src = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 2, 5, 1, 3, 7])
dst = torch.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 5, 7, 9, 2, 4, 8])
loops = torch.arange(n)
edge_index = torch.stack([torch.cat([src, dst, loops]), torch.cat([dst, src, loops])])
tagged = torch.tensor([[1, 4, 6, 4]])  # node 4 tagged twice


class GATLayer(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.lin = nn.Linear(d_in, heads * d_out, bias=False)
        self.att_src = nn.Parameter(torch.randn(heads, d_out) * 0.3)
        self.att_dst = nn.Parameter(torch.randn(heads, d_out) * 0.3)
        self.d_out = d_out

    def forward(self, x, adj):
        h = self.lin(x).view(-1, heads, self.d_out)
        score_src = (h * self.att_src).sum(-1)
        score_dst = (h * self.att_dst).sum(-1)
        scores = F.leaky_relu(score_src.t().unsqueeze(2) + score_dst.t().unsqueeze(1), 0.2)
        scores = scores.masked_fill(adj.unsqueeze(0) == 0, float("-inf"))
        attn = torch.softmax(scores, dim=-1) * adj
        out = torch.bmm(attn, h.transpose(0, 1))
        return out.mean(0)


class GAT(nn.Module):
    def __init__(self):
        super().__init__()
        self.edge_logits = nn.Parameter(torch.zeros(edge_index.shape[1]))
        self.tag_rows = nn.Parameter(torch.randn(tagged.shape[1], features) * 0.1)
        self.gat1 = GATLayer(features, hidden)
        self.gat2 = GATLayer(hidden, classes)

    def adjacency(self):
        weight = torch.sigmoid(self.edge_logits)
        return torch.sparse_coo_tensor(edge_index, weight, (n, n)).to_dense()

    def forward(self, x):
        adj = self.adjacency()
        tags = torch.sparse_coo_tensor(tagged, self.tag_rows, (n, features)).to_dense()
        h = F.elu(self.gat1(x + tags, adj))
        return F.log_softmax(self.gat2(h, adj), dim=1)


x = torch.randn(n, features)
labels = torch.randint(0, classes, (n,))
model = GAT()
opt = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(3):
    logp = model(x)
    loss = F.nll_loss(logp, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 6))
with torch.no_grad():
    coalesced = torch.sparse_coo_tensor(edge_index, torch.sigmoid(model.edge_logits), (n, n)).coalesce()
with torch.inference_mode():
    print(round(coalesced.to_dense().sum().item(), 5))
with torch.no_grad():
    adj = coalesced.to_dense()
    h = F.elu(model.gat1(x, adj))
    logp = F.log_softmax(model.gat2(h, adj), dim=1)
    print((logp.argmax(1) == labels).float().mean().item())
print(model.edge_logits[:6].tolist())
