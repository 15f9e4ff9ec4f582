"""The multi-armed bandit (dlcourse.chapters.learning_from_data.bandit): reinforcement learning
from rewards alone."""

import numpy as np
import pytest

from dlcourse.chapters.learning_from_data.bandit import epsilon_greedy_bandit

MEANS = [0.2, 1.0, 0.6, -0.3]


def test_estimates_are_the_mean_reward_of_each_arm():
    run = epsilon_greedy_bandit(MEANS, steps=400, epsilon=0.2, seed=3)
    for arm in range(len(MEANS)):
        paid = run.rewards[run.actions == arm]
        assert run.estimates[arm] == pytest.approx(paid.mean() if len(paid) else 0.0)


def test_exploring_agent_finds_and_exploits_the_best_arm():
    run = epsilon_greedy_bandit(MEANS, steps=1000, epsilon=0.1, seed=0)
    assert run.estimates.argmax() == 1
    assert np.mean(run.actions[-500:] == 1) > 0.85


def test_greedy_agent_without_exploration_can_get_stuck_on_a_worse_arm():
    run = epsilon_greedy_bandit(MEANS, steps=1000, epsilon=0.0, seed=0)
    assert (run.actions == 0).all()                    # the first arm paid > 0: never left


def test_without_noise_every_reward_is_the_arms_mean():
    run = epsilon_greedy_bandit(MEANS, steps=50, epsilon=1.0, noise=0.0, seed=1)
    np.testing.assert_allclose(run.rewards, np.asarray(MEANS)[run.actions])


def test_bandit_checks_its_arguments():
    with pytest.raises(ValueError, match="at least 2 arms"):
        epsilon_greedy_bandit([1.0])
    with pytest.raises(ValueError, match="epsilon must lie in"):
        epsilon_greedy_bandit(MEANS, epsilon=1.5)
