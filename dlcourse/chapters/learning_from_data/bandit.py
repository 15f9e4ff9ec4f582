"""Reinforcement learning in its smallest form: a multi-armed bandit.

There are no labels.  An *agent* repeatedly picks one of several actions ("arms" of a slot
machine); the *environment* answers with a random *reward*.  The agent keeps a running mean
of the rewards each arm has paid and, with an epsilon-greedy policy, pulls the best arm so
far, except with probability ``epsilon``, when it *explores* a random arm.  It learns which
action is best only from the rewards its own choices earned.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlcourse._validate import check_positive, check_probability

__all__ = ["BanditRun", "epsilon_greedy_bandit"]


class BanditRun(NamedTuple):
    """One run: the arm pulled ``(steps,)``, the reward received ``(steps,)``, the final
    estimated mean reward of each arm ``(arms,)`` and the true means ``(arms,)``."""

    actions: np.ndarray
    rewards: np.ndarray
    estimates: np.ndarray
    true_means: np.ndarray


def epsilon_greedy_bandit(true_means, *, steps: int = 500, epsilon: float = 0.1,
                          noise: float = 1.0, seed: int = 0) -> BanditRun:
    """Play ``steps`` rounds against arms paying ``N(true_means[a], noise**2)`` rewards.

    Each round: with probability ``epsilon`` pull a random arm, otherwise the arm with the
    highest estimate (ties: the first); then move that arm's estimate to the mean of all
    its rewards so far, ``estimate += (reward - estimate) / pulls``.

    >>> run = epsilon_greedy_bandit([0.0, 1.0, 0.5], steps=300, seed=0)
    >>> int(run.estimates.argmax()), bool(np.mean(run.actions[-100:] == 1) > 0.8)
    (1, True)
    """
    true_means = np.asarray(true_means, dtype=np.float64)
    if true_means.ndim != 1 or len(true_means) < 2:
        raise ValueError(f"true_means must list at least 2 arms, got {true_means.tolist()}")
    check_positive(steps, "steps")
    check_probability(epsilon, "epsilon")
    rng = np.random.default_rng(seed)
    estimates, pulls = np.zeros(len(true_means)), np.zeros(len(true_means))
    actions, rewards = np.zeros(steps, dtype=np.int64), np.zeros(steps)
    for t in range(steps):
        explore = rng.random() < epsilon
        arm = int(rng.integers(len(true_means))) if explore else int(estimates.argmax())
        reward = true_means[arm] + noise * rng.standard_normal()
        pulls[arm] += 1
        estimates[arm] += (reward - estimates[arm]) / pulls[arm]
        actions[t], rewards[t] = arm, reward
    return BanditRun(actions, rewards, estimates, true_means)
