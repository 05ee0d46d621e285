"""The mnist_rnn example: an image classified row by row by a recurrent net.

Each 10x10 image is a 10-step sequence of 10-pixel rows (`squeeze(1)`,
batch_first). An nn.LSTM reads it, the last time step's output goes through
Dropout and a Linear head into `log_softmax` and `nll_loss`. Adadelta with
`StepLR`, `clip_grad_norm_` before every step; then an nn.RNN (tanh)
variant with an explicit zero initial state, the final hidden state as
features, SGD with momentum, and a no-grad test loop summing the loss with
`reduction="sum"` and counting `argmax` hits.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import StepLR

torch.manual_seed(0)


class RowLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(input_size=10, hidden_size=12, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(12)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(12, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = x.squeeze(1)
        out, _ = self.rnn(x)
        x = self.batchnorm(out[:, -1, :])
        x = self.dropout1(x)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


class RowRNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.RNN(10, 12, num_layers=1, batch_first=True)
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        h0 = torch.zeros(1, x.size(0), 12)
        _, hn = self.rnn(x.squeeze(1), h0)
        return F.log_softmax(self.fc(hn[-1]), dim=1)


images = torch.rand(6, 1, 10, 10)
images = (images - 0.1307) / 0.3081
labels = torch.randint(0, 10, (6,))

model = RowLSTM()
optimizer = torch.optim.Adadelta(model.parameters(), lr=0.1)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
for epoch in range(2):
    model.train()
    for batch in range(2):
        data = images[batch * 3:(batch + 1) * 3]
        target = labels[batch * 3:(batch + 1) * 3]
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
    scheduler.step()

rnn_model = RowRNN()
optimizer = torch.optim.SGD(rnn_model.parameters(), lr=0.05, momentum=0.9)
for step in range(2):
    optimizer.zero_grad()
    loss = F.nll_loss(rnn_model(images), labels)
    loss.backward()
    nn.utils.clip_grad_norm_(rnn_model.parameters(), 0.5)
    optimizer.step()

for m in (model, rnn_model):
    m.eval()
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        output = m(images)
        test_loss += F.nll_loss(output, labels, reduction="sum").item()
        pred = output.argmax(dim=1, keepdim=True)
        correct += pred.eq(labels.view_as(pred)).sum().item()
    print(test_loss / len(images), correct)
