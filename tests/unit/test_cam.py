"""Class activation maps, feature maps and first-layer filters, for torch and engine models."""

import numpy as np
import pytest
import torch

from dlcourse.nn import load_torch_state
from dlcourse.zoo import cam, small_cnn, small_cnn_engine

torch.set_num_threads(1)


def _twins(width=4, seed=0):
    """A torch small CNN with random batch-norm statistics and its engine copy (eval mode)."""
    torch.manual_seed(seed)
    model = small_cnn(width=width).double()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
    engine = small_cnn_engine(width=width, rng=seed, dtype="float64")
    load_torch_state(engine, model)
    return model.eval(), engine.eval()


def _images(n=3, size=8, seed=1):
    return np.random.default_rng(seed).normal(size=(n, 1, size, size))


@pytest.mark.parametrize("which", ["torch", "engine"])
def test_mean_of_the_cam_plus_bias_is_the_class_logit(which):
    # GAP then Linear: z_k = mean_xy(sum_c w_kc f_c) + b_k, for every class k.
    model = dict(zip(["torch", "engine"], _twins(), strict=True))[which]
    x = _images()
    with torch.no_grad():
        logits = _twins()[0](torch.from_numpy(x)).numpy()     # the torch oracle
    bias = model[-1].bias.detach().numpy() if which == "torch" else model[-1].bias.data
    for k in range(10):
        result = cam.class_activation_maps(model, x, class_index=k)
        np.testing.assert_allclose(result.coarse.mean(axis=(1, 2)) + bias[k], logits[:, k],
                                   rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(result.logits, logits, rtol=1e-10, atol=1e-12)


def test_default_class_is_the_prediction_and_maps_are_upsampled_bilinearly_like_torch():
    model, _ = _twins()
    x = _images(n=4, size=16)
    result = cam.class_activation_maps(model, x)
    np.testing.assert_array_equal(result.class_index, result.logits.argmax(axis=1))
    assert result.coarse.shape == (4, 4, 4) and result.maps.shape == (4, 16, 16)
    expected = torch.nn.functional.interpolate(torch.from_numpy(result.coarse[:, None]),
                                               scale_factor=4, mode="bilinear",
                                               align_corners=False)[:, 0].numpy()
    np.testing.assert_allclose(result.maps, expected, rtol=1e-12)


def test_engine_and_torch_twins_give_the_same_maps():
    model, engine = _twins()
    x = _images()
    np.testing.assert_allclose(cam.class_activation_maps(engine, x).maps,
                               cam.class_activation_maps(model, x).maps, rtol=1e-9, atol=1e-12)


def test_class_activation_map_is_the_weighted_sum_of_feature_maps():
    rng = np.random.default_rng(0)
    f, w = rng.normal(size=(2, 5, 3, 3)), rng.normal(size=(4, 5))
    out = cam.class_activation_map(f, w, np.array([1, 3]))
    expected = [sum(w[k, c] * f[n, c] for c in range(5)) for n, k in enumerate([1, 3])]
    np.testing.assert_allclose(out, np.stack(expected), rtol=1e-12)
    assert cam.class_activation_map(f.astype(np.float32), w, 0).dtype == np.float32


def test_class_activation_map_rejects_mismatched_inputs():
    f = np.zeros((1, 5, 2, 2))
    with pytest.raises(ValueError, match="5 channels but weight expects 4"):
        cam.class_activation_map(f, np.zeros((3, 4)), 0)
    with pytest.raises(ValueError, match="class_index"):
        cam.class_activation_map(f, np.zeros((3, 5)), 3)


def test_cam_needs_a_gap_and_linear_head():
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(),
                              torch.nn.Linear(72, 10)).double().eval()
    with pytest.raises(ValueError, match="global average pooling"):
        cam.class_activation_maps(net, _images())


@pytest.mark.parametrize("layer, shape", [(0, (3, 4, 8, 8)), (3, (3, 4, 4, 4)),
                                          (7, (3, 8, 2, 2)), (-1, (3, 10))])
def test_feature_maps_equal_torch_intermediate_outputs(layer, shape):
    model, engine = _twins()
    x = _images()
    with torch.no_grad():
        expected = model[:layer % len(model) + 1](torch.from_numpy(x)).numpy()
    for net in (model, engine):
        out = cam.feature_maps(net, x, layer)
        assert out.shape == shape
        np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="layer must index"):
        cam.feature_maps(model, x, 11)


def test_first_layer_filters_are_a_copy_of_the_first_conv_weights():
    model, engine = _twins(width=6)
    for net in (model, engine):
        filters = cam.first_layer_filters(net)
        assert filters.shape == (6, 1, 3, 3)
        np.testing.assert_array_equal(filters, model[0].weight.detach().numpy())
        filters[...] = 0      # a copy: the model keeps its weights
        assert np.abs(cam.first_layer_filters(net)).sum() > 0
    with pytest.raises(ValueError, match="no Conv2d"):
        cam.first_layer_filters(torch.nn.Sequential(torch.nn.Linear(2, 2)))


def test_cam_and_feature_maps_of_an_engine_model_on_cupy_match_numpy(cupy):
    from dlcourse import backend

    model, engine = _twins()
    backend.use("cupy")
    try:
        gpu_engine = small_cnn_engine(width=4, rng=0, dtype="float64")
        load_torch_state(gpu_engine, model)
        gpu_engine.eval()
        x = _images()
        result = cam.class_activation_maps(gpu_engine, cupy.asarray(x))
        assert isinstance(result.maps, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(result.maps),
                                   cam.class_activation_maps(engine, x).maps, rtol=1e-9,
                                   atol=1e-12)
        maps = cam.feature_maps(gpu_engine, cupy.asarray(x), 3)
        np.testing.assert_allclose(cupy.asnumpy(maps), cam.feature_maps(engine, x, 3),
                                   rtol=1e-9, atol=1e-12)
    finally:
        backend.use("numpy")
