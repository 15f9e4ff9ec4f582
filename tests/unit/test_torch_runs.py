"""The shared pieces of the PyTorch recipes: reproducible runs and one epoch of steps."""

import numpy as np
import pytest
import torch

from dlcourse.zoo.torch_runs import reproducible, train_epoch


def test_reproducible_runs_on_one_thread_and_restores_the_count_even_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), reproducible(seed=0):
        assert torch.get_num_threads() == 1
        raise RuntimeError("a failing recipe")
    assert torch.get_num_threads() == before


def test_the_same_seed_gives_the_same_draws():
    with reproducible(seed=3):
        first = torch.randn(4)
    with reproducible(seed=3):
        second = torch.randn(4)
    assert torch.equal(first, second)


def _problem():
    torch.manual_seed(0)
    X, w = torch.randn(10, 3), torch.tensor([[1.0], [-2.0], [0.5]])
    return X, X @ w, torch.nn.Linear(3, 1)


def test_train_epoch_takes_one_step_per_minibatch_in_the_drawn_order():
    X, y, model = _problem()
    twin = torch.nn.Linear(3, 1)
    twin.load_state_dict(model.state_dict())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    mean_loss = train_epoch(model, lambda idx: ((model(X[idx]) - y[idx]) ** 2).mean(), 10,
                            batch_size=4, optimizer=optimizer, rng=np.random.default_rng(1))
    # the same epoch written out by hand: batches of 4, 4 and 2 in permutation order
    order, losses = np.random.default_rng(1).permutation(10), []
    by_hand = torch.optim.SGD(twin.parameters(), lr=0.1)
    for first in range(0, 10, 4):
        idx = torch.from_numpy(order[first:first + 4])
        loss = ((twin(X[idx]) - y[idx]) ** 2).mean()
        by_hand.zero_grad()
        loss.backward()
        by_hand.step()
        losses.append(loss.item() * len(idx))
    assert mean_loss == pytest.approx(sum(losses) / 10)
    assert torch.equal(model.weight, twin.weight) and torch.equal(model.bias, twin.bias)


def test_a_schedule_steps_after_every_minibatch():
    X, y, model = _problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    train_epoch(model, lambda idx: ((model(X[idx]) - y[idx]) ** 2).mean(), 10, batch_size=4,
                optimizer=optimizer, rng=np.random.default_rng(0), schedule=schedule)
    assert optimizer.param_groups[0]["lr"] == 0.5 ** 3  # three minibatches
