"""REINFORCE and actor-critic on a tiny hand-written corridor environment.

The environment is plain Python: a position on a 5-cell line, actions left /
right, reward 1 at the right end and a small step penalty, done after the
goal or 6 steps; the observation is a one-hot `torch.tensor`. The REINFORCE
agent samples from `Categorical(probs=softmax(...))`, keeps `log_prob`s,
computes discounted returns in Python, builds them with `torch.tensor`,
standardises `(returns - mean) / (std + eps)` and steps Adam on
`-log_prob * return`. The actor-critic agent shares a trunk between a policy
head and a value head, weights the log-probabilities by the advantage
`R - value.item()` and adds a `smooth_l1_loss` value term, summed with
`torch.stack(...).sum()`.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Categorical

torch.manual_seed(0)

GAMMA = 0.99
EPS = torch.finfo(torch.float32).eps


class Corridor:
    def __init__(self, length: int = 5, max_steps: int = 6) -> None:
        self.length = length
        self.max_steps = max_steps

    def reset(self):
        self.pos = 1
        self.t = 0
        return self.obs()

    def obs(self):
        state = [0.0] * self.length
        state[self.pos] = 1.0
        return torch.tensor(state)

    def step(self, action: int):
        self.t += 1
        self.pos = max(0, min(self.length - 1, self.pos + (1 if action == 1 else -1)))
        done = self.pos == self.length - 1 or self.t >= self.max_steps
        reward = 1.0 if self.pos == self.length - 1 else -0.05
        return self.obs(), reward, done


def discounted(rewards):
    R, returns = 0.0, []
    for r in rewards[::-1]:
        R = r + GAMMA * R
        returns.insert(0, R)
    return torch.tensor(returns)


class Policy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.affine1 = nn.Linear(5, 16)
        self.dropout = nn.Dropout(p=0.2)
        self.affine2 = nn.Linear(16, 2)

    def forward(self, x):
        x = F.relu(self.dropout(self.affine1(x)))
        return F.softmax(self.affine2(x), dim=-1)


env = Corridor()
policy = Policy()
optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
for episode in range(3):
    state, log_probs, rewards = env.reset(), [], []
    done = False
    while not done:
        probs = policy(state.unsqueeze(0))
        m = Categorical(probs)
        action = m.sample()
        log_probs.append(m.log_prob(action))
        state, reward, done = env.step(action.item())
        rewards.append(reward)
    returns = discounted(rewards)
    returns = (returns - returns.mean()) / (returns.std() + EPS)
    policy_loss = [-lp * R for lp, R in zip(log_probs, returns)]
    optimizer.zero_grad()
    loss = torch.cat(policy_loss).sum()
    loss.backward()
    optimizer.step()


class ActorCritic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.affine1 = nn.Linear(5, 16)
        self.action_head = nn.Linear(16, 2)
        self.value_head = nn.Linear(16, 1)

    def forward(self, x):
        x = F.relu(self.affine1(x))
        return F.softmax(self.action_head(x), dim=-1), self.value_head(x)


model = ActorCritic()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-2)
for episode in range(3):
    state, saved, rewards = env.reset(), [], []
    done = False
    while not done:
        probs, value = model(state)
        m = Categorical(probs)
        action = m.sample()
        saved.append((m.log_prob(action), value))
        state, reward, done = env.step(action.item())
        rewards.append(reward)
    returns = discounted(rewards)
    if len(rewards) > 1:
        returns = (returns - returns.mean()) / (returns.std() + EPS)
    policy_losses, value_losses = [], []
    for (log_prob, value), R in zip(saved, returns):
        advantage = R - value.item()
        policy_losses.append(-log_prob * advantage)
        value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))
    optimizer.zero_grad()
    loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
    loss.backward()
    optimizer.step()
print("done")
