"""Graph attention and graph convolution over sparse COO adjacencies.

A GAT-style layer scores each edge, normalises the scores per node with
`torch.sparse.softmax` (entries only; a duplicated edge is summed first),
propagates with `torch.sparse.mm` and takes weighted degrees with
`torch.sparse.sum(..., dim=1)`; a GCN layer normalises a learned sparse
adjacency by its degrees. An edge entropy term uses
`torch.sparse.log_softmax` over the other dim and a sparse sum over dim 0;
the full sparse sum over both dims weighs the attention, and a
dense-times-sparse `torch.sparse.mm` reads out the attended features.
Three Adam steps,
then evaluation under `torch.no_grad()` and `torch.inference_mode()`.
"""

import torch
import torch.nn.functional as F

torch.manual_seed(0)
n, f, h, c = 8, 5, 6, 3
src = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 0, 2, 4, 6, 1, 3, 5, 7, 0, 3, 0])
dst = torch.tensor([1, 2, 3, 4, 5, 6, 7, 0, 2, 4, 6, 0, 0, 1, 2, 3, 0, 3, 1])
edges = torch.stack([src, dst])
x = torch.randn(n, f)
y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])


class SparseGAT(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(f, h, bias=False)
        self.att_src = torch.nn.Parameter(torch.randn(h) * 0.5)
        self.att_dst = torch.nn.Parameter(torch.randn(h) * 0.5)
        self.edge_w = torch.nn.Parameter(torch.zeros(edges.shape[1]))
        self.gcn = torch.nn.Linear(h, h)
        self.out = torch.nn.Linear(h, c)

    def forward(self, x, edges, n, weights=None):
        z = self.lin(x)
        score = F.leaky_relu(
            (z[edges[0]] * self.att_src).sum(-1) + (z[edges[1]] * self.att_dst).sum(-1), 0.2
        )
        raw = torch.sparse_coo_tensor(edges, score, (n, n))
        att = torch.sparse.softmax(raw, dim=1)
        hid = F.elu(torch.sparse.mm(att, z))
        # weighted in-degree of the attention (rows sum to one, columns not)
        col_mass = torch.sparse.sum(att, dim=0).to_dense()
        # GCN over a learned adjacency normalised by its degrees
        w = F.softplus(self.edge_w) if weights is None else weights
        adj = torch.sparse_coo_tensor(edges, w, (n, n))
        deg = torch.sparse.sum(adj, dim=-1).to_dense()
        dinv = deg.clamp(min=1e-6).pow(-0.5)
        nadj = torch.sparse_coo_tensor(edges, dinv[edges[0]] * w * dinv[edges[1]], (n, n))
        hid = F.relu(torch.sparse.mm(nadj, self.gcn(hid))) + hid
        # edge entropy per target node: log-softmax over the sources
        logp = torch.sparse.log_softmax(raw, dim=0)
        ent = torch.sparse.sum(logp, dim=0).to_dense()
        total = torch.sparse.sum(att, dim=(0, 1))
        # a dense-times-sparse readout: features of the nodes attending
        readout = torch.sparse.mm(hid.t().contiguous(), att)
        return self.out(hid), col_mass, ent, total, readout


model = SparseGAT()
opt = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(3):
    logits, col_mass, ent, total, readout = model(x, edges, n)
    loss = (
        F.cross_entropy(logits, y)
        + 0.1 * (col_mass - 1).pow(2).mean()
        - 0.01 * ent.mean()
        + 0.01 * total
        + 0.01 * readout.pow(2).mean()
    )
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5))

model.eval()
with torch.no_grad():
    logits, col_mass, ent, total, readout = model(x, edges, n)
    acc = (logits.argmax(-1) == y).float().mean()
    print("no_grad", acc.item(), total.item())

# an unseen graph: a ring with chords, scored in float64 too
src2 = torch.tensor([0, 1, 2, 3, 4, 5, 0, 2, 4, 1])
dst2 = torch.tensor([1, 2, 3, 4, 5, 0, 3, 5, 1, 1])
edges2 = torch.stack([src2, dst2])
x2 = torch.randn(6, f)
with torch.inference_mode():
    logits2, col_mass2, ent2, total2, readout2 = model(x2, edges2, 6, torch.ones(10))
    pred = logits2.argmax(-1)
    s64 = torch.sparse_coo_tensor(edges2, torch.randn(10, dtype=torch.float64), (6, 6))
    p64 = torch.sparse.softmax(s64, dim=-1)
    lp64 = torch.sparse.log_softmax(s64, 0)
    rows64 = torch.sparse.sum(p64, dim=1).to_dense()
    print("inference", pred.tolist(), rows64.tolist(), lp64.coalesce().values().sum().item())
