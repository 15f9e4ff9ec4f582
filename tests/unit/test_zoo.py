"""The model zoo: published parameter counts, torchvision's names, and the shapes we promise."""

import numpy as np
import pytest
import torch
from torch import nn

from dlcourse import data, zoo

torch.set_num_threads(1)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# Published counts: torchvision's model documentation ("num_params" of each weights enum;
# VGG BN variants: vgg16_bn / vgg19_bn).  GoogLeNet's 6,624,904 is the pretrained model, which
# torchvision builds with aux_logits=False (no auxiliary heads).
PUBLISHED = [
    (zoo.alexnet, {}, 61_100_840),
    (zoo.vgg16, {}, 138_357_544),
    (zoo.vgg19, {}, 143_667_240),
    (zoo.vgg16, {"batch_norm": True}, 138_365_992),
    (zoo.vgg19, {"batch_norm": True}, 143_678_248),
    (zoo.googlenet, {}, 6_624_904),
    (zoo.resnet18, {}, 11_689_512),
    (zoo.resnet34, {}, 21_797_672),
    (zoo.resnet50, {}, 25_557_032),
]


@pytest.mark.parametrize(("builder", "kwargs", "expected"), PUBLISHED,
                         ids=[f"{b.__name__}{'_bn' if k else ''}" for b, k, _ in PUBLISHED])
def test_imagenet_models_have_torchvisions_published_parameter_count(builder, kwargs, expected):
    with torch.device("meta"):           # shapes without memory: VGG-19 alone is 575 MB
        model = builder(**kwargs)
    assert n_params(model) == expected


def test_lenet5_has_61706_parameters_with_full_c3_connections():
    # By hand: C1 6*(25+1) = 156, C3 16*(6*25+1) = 2,416, C5 120*(16*25+1) = 48,120,
    # F6 84*(120+1) = 10,164, output 10*(84+1) = 850.
    assert n_params(zoo.lenet5()) == 156 + 2_416 + 48_120 + 10_164 + 850 == 61_706


@pytest.mark.parametrize(("builder", "size"), [(zoo.alexnet, 224), (zoo.vgg16, 224),
                                               (zoo.vgg19, 224), (zoo.googlenet, 224),
                                               (zoo.resnet34, 224), (zoo.resnet50, 224),
                                               (zoo.alexnet, 64), (zoo.vgg16, 32)])
def test_imagenet_models_map_images_to_class_scores(builder, size):
    with torch.device("meta"):           # shape inference only
        out = builder(num_classes=7).eval()(torch.zeros(2, 3, size, size))
    assert out.shape == (2, 7)


@pytest.mark.parametrize(("builder", "size"), [(zoo.resnet18, 32), (zoo.googlenet, 32),
                                               (zoo.resnet50, 32), (zoo.alexnet, 64)])
def test_small_inputs_run_through_the_adaptive_pool(builder, size):
    torch.manual_seed(0)
    out = builder(num_classes=5).eval()(torch.randn(1, 3, size, size))
    assert out.shape == (1, 5) and torch.isfinite(out).all()


# Keys taken from torchvision's source (attribute names of alexnet.py, vgg.py, googlenet.py,
# resnet.py): with the same names, torchvision's pretrained state_dicts would load.
TORCHVISION_KEYS = {
    zoo.alexnet: ["features.0.weight", "features.10.bias", "classifier.1.weight",
                  "classifier.6.bias"],
    zoo.vgg16: ["features.0.weight", "features.28.weight", "classifier.0.weight",
                "classifier.3.weight", "classifier.6.bias"],
    zoo.googlenet: ["conv1.conv.weight", "conv1.bn.running_var", "inception3a.branch1.conv.weight",
                    "inception4e.branch2.1.bn.bias", "inception5b.branch4.1.conv.weight",
                    "fc.weight"],
    zoo.resnet50: ["conv1.weight", "bn1.running_mean", "layer1.0.downsample.0.weight",
                   "layer2.0.downsample.1.weight", "layer3.5.conv3.weight", "layer4.2.bn3.bias",
                   "fc.bias"],
}


@pytest.mark.parametrize("builder", list(TORCHVISION_KEYS), ids=lambda b: b.__name__)
def test_state_dict_keys_use_torchvisions_names(builder):
    with torch.device("meta"):
        keys = builder().state_dict().keys()
    assert set(TORCHVISION_KEYS[builder]) <= set(keys)


def test_inception_3a_concatenates_its_four_branches_with_the_published_widths():
    block = zoo.Inception(192, 64, 96, 128, 16, 32, 32)
    assert block(torch.zeros(1, 192, 28, 28)).shape == (1, 64 + 128 + 32 + 32, 28, 28)
    # By hand (conv weights, no bias, plus BN scale and shift per output channel):
    # 1x1: 192*64 + 2*64; 1x1, 3x3: 192*96 + 2*96 + 96*128*9 + 2*128;
    # 1x1, "5x5" (3x3 as torchvision): 192*16 + 2*16 + 16*32*9 + 2*32; pool, 1x1: 192*32 + 2*32.
    expected = (192 * 64 + 128) + (192 * 96 + 192 + 96 * 128 * 9 + 256) \
        + (192 * 16 + 32 + 16 * 32 * 9 + 64) + (192 * 32 + 64)
    assert n_params(block) == expected == 155_872


def test_basic_block_with_zeroed_residual_branch_passes_relu_of_its_input():
    block = zoo.BasicBlock(8, 8).eval()
    nn.init.zeros_(block.bn2.weight)     # F(x) = 0, so y = relu(0 + x)
    x = torch.randn(2, 8, 5, 5)
    torch.testing.assert_close(block(x), torch.relu(x))
    plain = zoo.PlainBlock(8, 8).eval()
    nn.init.zeros_(plain.bn2.weight)     # no shortcut: nothing gets through
    assert torch.count_nonzero(plain(x)) == 0


def test_bottleneck_expands_channels_four_times_and_strides_on_the_3x3():
    block = zoo.Bottleneck(64, 32, stride=2, downsample=zoo.projection(64, 128))
    assert block(torch.zeros(1, 64, 8, 8)).shape == (1, 128, 4, 4)
    assert block.conv2.stride == (2, 2) and block.conv1.stride == (1, 1)


def test_resnet_uses_1x1_stride_2_projection_only_where_a_stage_changes_shape():
    model = zoo.resnet18()
    assert model.layer1[0].downsample is None
    for stage in (model.layer2, model.layer3, model.layer4):
        conv = stage[0].downsample[0]
        assert conv.kernel_size == (1, 1) and conv.stride == (2, 2)
        assert stage[1].downsample is None


def _main_path_layers(model: nn.Module) -> int:
    """Weighted layers outside the projection shortcuts (how He et al. count depth)."""
    return sum(isinstance(m, (nn.Conv2d, nn.Linear)) for name, m in model.named_modules()
               if "downsample" not in name)


@pytest.mark.parametrize("depth", [8, 20, 56])
def test_small_resnet_and_plain_net_have_depth_weighted_layers_and_differ_only_by_shortcuts(depth):
    residual, plain = zoo.small_resnet(depth), zoo.plain_net(depth)
    assert _main_path_layers(residual) == _main_path_layers(plain) == depth
    projections = sum(n_params(m) for name, m in residual.named_modules()
                      if name.endswith("downsample"))
    assert projections > 0
    assert n_params(residual) - n_params(plain) == projections


@pytest.mark.parametrize("depth", [7, 12, 2])
def test_small_resnet_rejects_a_depth_that_is_not_6n_plus_2(depth):
    with pytest.raises(ValueError, match="6n \\+ 2"):
        zoo.small_resnet(depth)


@pytest.mark.parametrize("size", [8, 16, 28])
@pytest.mark.parametrize("builder", [zoo.small_cnn, zoo.small_resnet, zoo.plain_net])
def test_small_classifiers_accept_8_16_and_28_pixel_digits(builder, size):
    model = builder(in_channels=1, num_classes=10) if builder is zoo.small_cnn \
        else builder(8, in_channels=1, num_classes=10)
    assert model(torch.zeros(3, 1, size, size)).shape == (3, 10)


def test_lenet5_maps_32x32_images_to_ten_scores():
    assert zoo.lenet5()(torch.zeros(2, 1, 32, 32)).shape == (2, 10)


def test_small_cnn_fits_a_batch_of_digits():
    torch.manual_seed(0)
    X, y = data.digits(seed=0)
    X, y = torch.from_numpy(X[:64]), torch.from_numpy(y[:64])
    model = zoo.small_cnn(width=8)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]


@pytest.mark.parametrize("size", [32, 64])
def test_unet_tiny_returns_a_score_per_class_and_pixel(size):
    model = zoo.unet_tiny(in_channels=1, num_classes=4, base=4)
    assert model(torch.zeros(2, 1, size, size)).shape == (2, 4, size, size)


def test_unet_decoder_concatenates_skips_so_its_convs_see_twice_the_channels():
    model = zoo.unet_tiny(base=8)
    assert [block[0].in_channels for block in model.decode] == [64, 32, 16]
    assert [block[0].out_channels for block in model.decode] == [32, 16, 8]


def test_unet_rejects_sizes_the_poolings_cannot_halve():
    with pytest.raises(ValueError, match="divisible by 8"):
        zoo.unet_tiny()(torch.zeros(1, 1, 30, 32))


@pytest.mark.parametrize(("S", "B", "C", "size"), [(4, 2, 3, 32), (2, 1, 1, 16), (8, 3, 5, 64)])
def test_yolo_tiny_outputs_s_by_s_cells_of_b_boxes_and_one_class_vector(S, B, C, size):
    out = zoo.yolo_tiny(S, B, C, in_channels=1, image_size=size)(torch.zeros(2, 1, size, size))
    assert out.shape == (2, S, S, B * 5 + C)


def test_yolo_tiny_rejects_grids_that_do_not_divide_the_image_and_wrong_inputs():
    with pytest.raises(ValueError, match="power of two"):
        zoo.yolo_tiny(S=3, image_size=32)
    with pytest.raises(ValueError, match="32x32"):
        zoo.yolo_tiny()(torch.zeros(1, 1, 64, 64))


def test_mlp_gan_maps_noise_to_points_and_points_to_one_logit():
    g = zoo.gan_mlp_generator(noise_dim=4, out_dim=2, hidden=16)
    d = zoo.gan_mlp_discriminator(in_dim=2, hidden=16)
    fake = g(torch.randn(10, 4))
    assert fake.shape == (10, 2) and d(fake).shape == (10, 1)


@pytest.mark.parametrize("size", [8, 16, 32])
def test_dcgan_generator_makes_images_in_0_1_that_the_discriminator_scores(size):
    torch.manual_seed(0)
    g = zoo.dcgan_generator(noise_dim=8, out_channels=1, image_size=size, base=8)
    d = zoo.dcgan_discriminator(in_channels=1, image_size=size, base=8)
    fake = g(torch.randn(3, 8))
    assert fake.shape == (3, 1, size, size)
    assert fake.min() >= 0 and fake.max() <= 1
    assert d(fake).shape == (3, 1)


def test_dcgan_rejects_unsupported_sizes():
    with pytest.raises(ValueError, match="8, 16 or 32"):
        zoo.dcgan_generator(image_size=28)


def test_dcgan_weights_follow_the_papers_normal_0_002_init():
    g = zoo.dcgan_generator(noise_dim=64, image_size=16, base=64)
    w = torch.cat([m.weight.flatten() for m in g.modules() if isinstance(m, nn.ConvTranspose2d)])
    assert abs(w.mean().item()) < 1e-3
    np.testing.assert_allclose(w.std().item(), 0.02, rtol=0.05)
