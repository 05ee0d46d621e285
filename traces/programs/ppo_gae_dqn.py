"""Policy-gradient and value-based RL updates as CleanRL-style scripts
write them, on a synthetic batch of transitions (no environment).

* PPO: an actor-critic MLP with orthogonal `layer_init`
  (`nn.init.orthogonal_(w, std)`, `constant_` bias), `Categorical(logits=)`
  `log_prob`/`entropy`, generalised advantage estimation by a reversed
  Python loop over steps (`nextnonterminal = 1.0 - dones[t + 1]`, `delta`,
  `lastgaelam`), advantages normalised per minibatch, the clipped ratio
  `(newlogprob - oldlogprob).exp()` with `torch.max(pg_loss1, pg_loss2)`,
  a clipped value loss, approx-KL `((ratio - 1) - logratio).mean()` and
  clip fractions under `no_grad`, `clip_grad_norm_`, Adam with `eps=1e-5`
  and a linearly annealed learning rate written into `param_groups`.
* DQN: an online and a target Q-network (`load_state_dict`), epsilon-greedy
  actions from `argmax` and `torch.randint`, TD targets
  `r + gamma * target(next).max(dim=1)[0] * (1 - done)` under `no_grad`,
  `q.gather(1, a.unsqueeze(1)).squeeze()`, `F.smooth_l1_loss`, and the
  soft target update `target_p.data.copy_(tau * p.data + (1 - tau) *
  target_p.data)`.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions.categorical import Categorical

torch.manual_seed(1)
OBS, ACT, STEPS, ENVS = 4, 3, 8, 2


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class Agent(nn.Module):
    def __init__(self):
        super().__init__()
        self.critic = nn.Sequential(layer_init(nn.Linear(OBS, 16)), nn.Tanh(),
                                    layer_init(nn.Linear(16, 1), std=1.0))
        self.actor = nn.Sequential(layer_init(nn.Linear(OBS, 16)), nn.Tanh(),
                                   layer_init(nn.Linear(16, ACT), std=0.01))

    def get_value(self, x):
        return self.critic(x)

    def get_action_and_value(self, x, action=None):
        logits = self.actor(x)
        probs = Categorical(logits=logits)
        if action is None:
            action = probs.sample()
        return action, probs.log_prob(action), probs.entropy(), self.critic(x)


agent = Agent()
optimizer = torch.optim.Adam(agent.parameters(), lr=2.5e-4, eps=1e-5)
obs = torch.randn(STEPS, ENVS, OBS)
rewards = torch.randn(STEPS, ENVS)
dones = (torch.rand(STEPS, ENVS) < 0.2).float()
next_obs, next_done = torch.randn(ENVS, OBS), torch.zeros(ENVS)
gamma, gae_lambda, clip_coef = 0.99, 0.95, 0.2
for update in range(1, 3):
    frac = 1.0 - (update - 1.0) / 2
    optimizer.param_groups[0]["lr"] = frac * 2.5e-4
    with torch.no_grad():
        actions, logprobs, _, values = agent.get_action_and_value(obs.reshape(-1, OBS))
        actions, logprobs, values = actions.view(STEPS, ENVS), logprobs.view(STEPS, ENVS), values.view(STEPS, ENVS)
        next_value = agent.get_value(next_obs).reshape(1, -1)
        advantages = torch.zeros_like(rewards)
        lastgaelam = 0
        for t in reversed(range(STEPS)):
            if t == STEPS - 1:
                nextnonterminal = 1.0 - next_done
                nextvalues = next_value
            else:
                nextnonterminal = 1.0 - dones[t + 1]
                nextvalues = values[t + 1]
            delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
            advantages[t] = lastgaelam = delta + gamma * gae_lambda * nextnonterminal * lastgaelam
        returns = advantages + values
    b_obs, b_logprobs = obs.reshape(-1, OBS), logprobs.reshape(-1)
    b_actions, b_advantages = actions.reshape(-1), advantages.reshape(-1)
    b_returns, b_values = returns.reshape(-1), values.reshape(-1)
    b_inds = np.arange(STEPS * ENVS)
    clipfracs = []
    for epoch in range(2):
        np.random.default_rng(epoch).shuffle(b_inds)
        for start in range(0, STEPS * ENVS, 8):
            mb_inds = b_inds[start:start + 8]
            _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[mb_inds], b_actions.long()[mb_inds])
            logratio = newlogprob - b_logprobs[mb_inds]
            ratio = logratio.exp()
            with torch.no_grad():
                approx_kl = ((ratio - 1) - logratio).mean()
                clipfracs += [((ratio - 1.0).abs() > clip_coef).float().mean().item()]
            mb_advantages = b_advantages[mb_inds]
            mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)
            pg_loss1 = -mb_advantages * ratio
            pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - clip_coef, 1 + clip_coef)
            pg_loss = torch.max(pg_loss1, pg_loss2).mean()
            newvalue = newvalue.view(-1)
            v_loss_unclipped = (newvalue - b_returns[mb_inds]) ** 2
            v_clipped = b_values[mb_inds] + torch.clamp(newvalue - b_values[mb_inds], -clip_coef, clip_coef)
            v_loss_clipped = (v_clipped - b_returns[mb_inds]) ** 2
            v_loss = 0.5 * torch.max(v_loss_unclipped, v_loss_clipped).mean()
            loss = pg_loss - 0.01 * entropy.mean() + v_loss * 0.5
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
            optimizer.step()
    print(update, approx_kl.item(), np.mean(clipfracs))


class QNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.network = nn.Sequential(nn.Linear(OBS, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, ACT))

    def forward(self, x):
        return self.network(x)


q_network = QNetwork()
target_network = QNetwork()
target_network.load_state_dict(q_network.state_dict())
qopt = torch.optim.Adam(q_network.parameters(), lr=1e-3)
tau, epsilon = 0.5, 0.3
for step in range(3):
    o = torch.randn(8, OBS)
    with torch.no_grad():
        greedy = torch.argmax(q_network(o), dim=1)
    explore = torch.rand(8) < epsilon
    a = torch.where(explore, torch.randint(0, ACT, (8,)), greedy)
    r, next_o, done = torch.randn(8), torch.randn(8, OBS), (torch.rand(8) < 0.1).float()
    with torch.no_grad():
        target_max, _ = target_network(next_o).max(dim=1)
        td_target = r + 0.99 * target_max * (1 - done)
    old_val = q_network(o).gather(1, a.unsqueeze(1)).squeeze()
    loss = F.smooth_l1_loss(td_target, old_val)
    qopt.zero_grad()
    loss.backward()
    qopt.step()
    for target_param, param in zip(target_network.parameters(), q_network.parameters()):
        target_param.data.copy_(tau * param.data + (1.0 - tau) * target_param.data)
    print("dqn", step, loss.item())
