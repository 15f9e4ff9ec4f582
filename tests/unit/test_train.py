"""dlcourse.train: the loop learns, is reproducible, stops early and restores the best epoch."""

import numpy as np
import pytest
import torch

from dlcourse import nn, optim
from dlcourse.nn import CrossEntropyLoss, MSELoss
from dlcourse.optim import lr_scheduler as schedules
from dlcourse.train import History, accuracy, evaluate, fit, predict

torch.set_num_threads(1)


def rings(n=300, seed=0):
    """Points inside radius 1 (class 0) or on a ring of radius 2 to 3 (class 1): separable,
    but not linearly."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    radius = np.where(y == 0, rng.uniform(0, 1, n), rng.uniform(2, 3, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return X.astype(np.float32), y


def mlp(seed=0, dtype="float32"):
    return nn.Sequential(nn.Linear(2, 16, rng=seed, dtype=dtype), nn.ReLU(),
                         nn.Linear(16, 2, rng=seed + 1, dtype=dtype))


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_mlp_learns_the_rings_to_over_95_percent():
    X, y = rings(300, seed=0)
    X_val, y_val = rings(200, seed=1)
    model = mlp()
    opt = optim.Adam(model.parameters(), lr=0.05)
    history = fit(model, CrossEntropyLoss(), opt, (X, y), (X_val, y_val), epochs=30,
                  batch_size=32, seed=0, progress=False)
    assert history.val_metrics["accuracy"][-1] > 0.95
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert evaluate(model, X_val, y_val)["accuracy"] > 0.95


@pytest.mark.kernel_sensitive
def test_fit_takes_the_same_steps_as_a_torch_loop_over_the_same_batches():
    X, y = rings(30, seed=0)
    X = X.astype(np.float64)
    model, theirs = mlp(dtype="float64"), torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2)).double()
    nn.load_torch_state(model, theirs)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, CrossEntropyLoss(), opt, (X, y), epochs=3, batch_size=7, seed=5,
                  progress=False)
    rng = np.random.default_rng(5)  # fit shuffles with numpy's generator of this seed
    torch_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    torch_losses = []
    for _ in range(3):
        order, total = rng.permutation(30), 0.0
        for start in range(0, 30, 7):
            idx = order[start:start + 7]
            loss = torch.nn.functional.cross_entropy(theirs(torch.tensor(X[idx])),
                                                     torch.tensor(y[idx]))
            torch_opt.zero_grad()
            loss.backward()
            torch_opt.step()
            total += loss.item() * len(idx)
        torch_losses.append(total / 30)
    np.testing.assert_allclose(history.train_loss, torch_losses, rtol=1e-10)
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value, theirs.state_dict()[name].numpy(), rtol=1e-9,
                                   err_msg=name)


VAL_SIZE = 30  # the scripted loss recognises the validation set by its size


class ScriptedValidationLoss:
    """MSE on training batches; on the validation set, the next scripted value -- and a
    snapshot of the model's parameters at that moment, to know what each epoch looked like."""

    def __init__(self, model, script):
        self.model, self.script, self.snapshots = model, list(script), []
        self.mse = MSELoss()

    def __call__(self, output, target):
        if len(output) != VAL_SIZE:
            return self.mse(output, target)
        self.snapshots.append(self.model.state_dict())
        return self.script[len(self.snapshots) - 1]

    def backward(self, dout=1.0):
        return self.mse.backward(dout)


def regression_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 3)).astype(np.float32)
    return X, X @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)


def test_early_stopping_stops_after_patience_and_restores_the_best_epoch():
    X, y = regression_data()
    model = nn.Sequential(nn.Linear(3, 1, rng=0))
    loss = ScriptedValidationLoss(model, [1.0, 0.8, 0.6, 0.7, 0.65, 0.9, 0.1, 0.1])
    opt = optim.SGD(model.parameters(), lr=0.05)
    val = (X[:VAL_SIZE], y[:VAL_SIZE])
    history = fit(model, loss, opt, (X, y), val, epochs=8, batch_size=8, seed=0,
                  early_stopping_patience=3, metrics=(), progress=False)
    assert history.best_epoch == 2
    assert len(history) == 6 and history.stopped_early  # epochs 3, 4, 5 without progress
    assert history.val_loss == [1.0, 0.8, 0.6, 0.7, 0.65, 0.9]
    best = loss.snapshots[2]
    assert not np.array_equal(loss.snapshots[-1]["0.weight"], best["0.weight"])
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, best[name])


def test_without_early_stopping_the_last_parameters_are_kept():
    X, y = regression_data()
    model = nn.Sequential(nn.Linear(3, 1, rng=0))
    loss = ScriptedValidationLoss(model, [1.0, 0.5, 0.9])
    opt = optim.SGD(model.parameters(), lr=0.05)
    val = (X[:VAL_SIZE], y[:VAL_SIZE])
    history = fit(model, loss, opt, (X, y), val, epochs=3, batch_size=8, metrics=(),
                  progress=False)
    assert history.best_epoch == 1 and not history.stopped_early
    np.testing.assert_array_equal(model[0].weight.data, loss.snapshots[-1]["0.weight"])


def test_history_has_one_entry_per_epoch():
    X, y = rings(60)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with_val = fit(model, CrossEntropyLoss(), opt, (X, y), (X, y), epochs=4, batch_size=16,
                   progress=False)
    assert isinstance(with_val, History) and len(with_val) == 4
    assert len(with_val.val_loss) == len(with_val.lr) == 4
    assert list(with_val.val_metrics) == ["accuracy"] and len(with_val.val_metrics["accuracy"]) == 4
    without_val = fit(model, CrossEntropyLoss(), opt, (X, y), epochs=2, batch_size=16,
                      progress=False)
    assert len(without_val) == 2 and without_val.val_loss == [] and without_val.best_epoch is None


def test_same_seed_gives_the_same_run_and_another_seed_another():
    X, y = rings(80)

    def run(seed):
        model = mlp()
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        history = fit(model, CrossEntropyLoss(), opt, (X, y), epochs=3, batch_size=10,
                      seed=seed, progress=False)
        return history.train_loss, model.state_dict()

    (loss_a, state_a), (loss_b, state_b), (loss_c, _) = run(7), run(7), run(8)
    assert loss_a == loss_b and loss_a != loss_c
    for name, value in state_a.items():
        np.testing.assert_array_equal(value, state_b[name])


def test_schedules_are_stepped_once_per_epoch_and_plateau_gets_the_val_loss():
    X, y = regression_data()
    model = nn.Sequential(nn.Linear(3, 1, rng=0))
    opt = optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, MSELoss(), opt, (X, y), epochs=5, batch_size=8, metrics=(),
                  schedule=schedules.StepLR(opt, step_size=2, gamma=0.5), progress=False)
    assert history.lr == [0.1, 0.1, 0.05, 0.05, 0.025]
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = ScriptedValidationLoss(model, [1.0, 1.0, 1.0, 1.0])
    val = (X[:VAL_SIZE], y[:VAL_SIZE])
    fit(model, loss, opt, (X, y), val, epochs=4, batch_size=8, metrics=(),
        schedule=schedules.ReduceLROnPlateau(opt, patience=1, factor=0.5), progress=False)
    assert opt.lr == 0.05  # epochs 1 and 2 brought no improvement on epoch 0: halve


def test_predict_batches_in_eval_mode_and_restores_the_mode():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Dropout(0.5, rng=0), nn.BatchNorm1d(4))
    X = rng.standard_normal((23, 3)).astype(np.float32)
    out = predict(model, X, batch_size=5)
    assert model.training
    model.eval()
    np.testing.assert_allclose(out, model(X), rtol=1e-6)


def test_evaluate_reports_loss_and_metrics_by_name():
    X, y = rings(50)
    model = mlp()
    scores = evaluate(model, X, y, loss_fn=CrossEntropyLoss(), batch_size=7)
    assert set(scores) == {"loss", "accuracy"}
    logits = model(X)
    assert scores["loss"] == pytest.approx(float(CrossEntropyLoss()(logits, y)), rel=1e-6)
    assert scores["accuracy"] == accuracy(logits, y)


def test_fit_restores_the_models_mode():
    X, y = regression_data()
    model = nn.Sequential(nn.Linear(3, 1, rng=0)).eval()
    opt = optim.SGD(model.parameters(), lr=0.01)
    fit(model, MSELoss(), opt, (X, y), (X, y), epochs=1, metrics=(), progress=False)
    assert not model.training


def test_progress_bar_runs(capsys):
    X, y = regression_data()
    model = nn.Sequential(nn.Linear(3, 1, rng=0))
    opt = optim.SGD(model.parameters(), lr=0.01)
    fit(model, MSELoss(), opt, (X, y), epochs=2, metrics=(), progress=True)
    assert "training" in capsys.readouterr().err


def test_accuracy_of_class_scores_and_of_binary_logits():
    assert accuracy(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([1, 0, 0])) \
        == pytest.approx(2 / 3)
    assert accuracy(np.array([[2.0], [-1.0], [0.5]]), np.array([[1.0], [0.0], [0.0]])) \
        == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"early_stopping_patience": 2}, "pass val_data"),
     ({"batch_size": 0}, "batch_size must be an integer >= 1"),
     ({"train_data": (np.zeros((3, 3)), np.zeros((2, 1)))}, "3 inputs and 2 targets"),
     ({"train_data": np.zeros((3, 3))}, r"train_data must be a pair \(X, y\)")],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    X, y = regression_data()
    model = nn.Sequential(nn.Linear(3, 1, rng=0))
    opt = optim.SGD(model.parameters(), lr=0.01)
    arguments = {"train_data": (X, y), "epochs": 1, "progress": False, **kwargs}
    with pytest.raises(ValueError, match=message):
        fit(model, MSELoss(), opt, **arguments)


def built_on_gpu(build):
    """``build()`` with the cupy backend active, so that new parameters live on the GPU."""
    from dlcourse import backend

    backend.use("cupy")
    try:
        return build()
    finally:
        backend.use("numpy")


@pytest.mark.parametrize("data_on_gpu", [True, False], ids=["gpu-data", "host-data"])
def test_fit_trains_a_model_on_the_gpu(cupy, data_on_gpu):
    model = built_on_gpu(mlp)
    assert isinstance(model[0].weight.data, cupy.ndarray)
    X, y = rings(200)
    if data_on_gpu:
        X, y = cupy.asarray(X), cupy.asarray(y)      # else fit moves them to the model
    opt = optim.Adam(model.parameters(), lr=0.05)
    history = fit(model, CrossEntropyLoss(), opt, (X, y), (X, y), epochs=20, batch_size=32,
                  seed=0, progress=False)
    assert history.val_metrics["accuracy"][-1] > 0.95


def test_the_backend_not_the_generator_decides_where_new_arrays_live(cupy):
    layer = built_on_gpu(lambda: nn.Linear(2, 3, rng=np.random.default_rng(0)))   # host rng
    assert isinstance(layer.weight.data, cupy.ndarray)
    host = nn.Linear(2, 3, rng=cupy.random.default_rng(0))                       # GPU rng
    assert isinstance(host.weight.data, np.ndarray)
    x = cupy.ones((4, 3), dtype=cupy.float32)
    out, mask = nn.functional.dropout(x, 0.5, True, rng=np.random.default_rng(0),
                                      return_mask=True)
    assert isinstance(out, cupy.ndarray) and isinstance(mask, cupy.ndarray)   # x's device


def test_a_gradient_on_the_other_device_is_refused_when_it_is_assigned(cupy):
    p = nn.Parameter(cupy.zeros(2))
    with pytest.raises(ValueError, match="GPU and in host memory were mixed"):
        p.grad = np.zeros(2)


def test_a_module_places_arrays_where_its_parameters_live(cupy):
    layer = built_on_gpu(lambda: nn.Linear(2, 1, rng=0))
    x, y = layer.place(np.ones((3, 2)), cupy.zeros(3))
    assert isinstance(x, cupy.ndarray) and isinstance(y, cupy.ndarray)
    host = nn.Linear(2, 1, rng=0).place(cupy.ones((3, 2)))       # and back to the host
    assert isinstance(host, np.ndarray) and host.tolist() == np.ones((3, 2)).tolist()
