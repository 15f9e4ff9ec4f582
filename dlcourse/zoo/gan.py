"""Generators and discriminators for small GANs: an MLP pair for 2-D points, a DCGAN pair
for 8x8 / 16x16 / 32x32 grey images.

The discriminators output one raw *logit* per sample (no sigmoid): pair them with
``binary_cross_entropy_with_logits``, which is numerically safer.  The DCGAN generator ends
in a sigmoid so that its images lie in [0, 1] like :func:`dlcourse.data.digits`
(the DCGAN paper uses tanh with images scaled to [-1, 1]).
"""

from __future__ import annotations

from torch import nn

__all__ = ["dcgan_discriminator", "dcgan_generator", "gan_mlp_discriminator",
           "gan_mlp_generator"]


def gan_mlp_generator(noise_dim: int = 2, out_dim: int = 2, hidden: int = 128) -> nn.Sequential:
    """Noise ``(N, noise_dim)`` -> samples ``(N, out_dim)``: two ReLU hidden layers.

    >>> import torch
    >>> gan_mlp_generator()(torch.zeros(5, 2)).shape
    torch.Size([5, 2])
    """
    return nn.Sequential(
        nn.Linear(noise_dim, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, out_dim),
    )


def gan_mlp_discriminator(in_dim: int = 2, hidden: int = 128) -> nn.Sequential:
    """Samples ``(N, in_dim)`` -> logits ``(N, 1)``: two LeakyReLU(0.2) hidden layers.

    >>> import torch
    >>> gan_mlp_discriminator()(torch.zeros(5, 2)).shape
    torch.Size([5, 1])
    """
    return nn.Sequential(
        nn.Linear(in_dim, hidden), nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
        nn.Linear(hidden, 1),
    )


def _stages(image_size: int) -> int:
    """Number of stride-2 (de)convolutions between 4x4 and ``image_size``."""
    if image_size not in (8, 16, 32):
        raise ValueError(f"image_size must be 8, 16 or 32, got {image_size}")
    return {8: 1, 16: 2, 32: 3}[image_size]


def _dcgan_init(model: nn.Module) -> nn.Module:
    """DCGAN's initialisation: conv weights N(0, 0.02), BN weights N(1, 0.02), biases 0."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return model


def dcgan_generator(noise_dim: int = 16, out_channels: int = 1, *, image_size: int = 8,
                    base: int = 32) -> nn.Sequential:
    """Noise ``(N, noise_dim)`` -> images ``(N, out_channels, image_size, image_size)`` in [0, 1].

    A 4x4 transposed convolution makes a 4x4 map; each further 4x4 transposed convolution of
    stride 2 (padding 1) doubles the size and halves the channels; BN + ReLU in between.

    >>> import torch
    >>> dcgan_generator(image_size=16)(torch.zeros(3, 16)).shape
    torch.Size([3, 1, 16, 16])
    """
    stages = _stages(image_size)
    channels = base * 2 ** (stages - 1)
    layers: list[nn.Module] = [
        nn.Unflatten(1, (noise_dim, 1, 1)),                                  # (N, z, 1, 1)
        nn.ConvTranspose2d(noise_dim, channels, 4, stride=1, padding=0, bias=False),  # 4x4
        nn.BatchNorm2d(channels),
        nn.ReLU(),
    ]
    for _ in range(stages - 1):
        layers += [nn.ConvTranspose2d(channels, channels // 2, 4, stride=2, padding=1, bias=False),
                   nn.BatchNorm2d(channels // 2),
                   nn.ReLU()]
        channels //= 2
    layers += [nn.ConvTranspose2d(channels, out_channels, 4, stride=2, padding=1), nn.Sigmoid()]
    return _dcgan_init(nn.Sequential(*layers))


def dcgan_discriminator(in_channels: int = 1, *, image_size: int = 8,
                        base: int = 32) -> nn.Sequential:
    """Images ``(N, in_channels, image_size, image_size)`` -> logits ``(N, 1)``.

    Mirror of the generator: 4x4 convolutions of stride 2 halve the size and double the
    channels (LeakyReLU(0.2); BN except on the first), then a 4x4 convolution maps 4x4 to 1.

    >>> import torch
    >>> dcgan_discriminator(image_size=16)(torch.zeros(3, 1, 16, 16)).shape
    torch.Size([3, 1])
    """
    stages = _stages(image_size)
    layers: list[nn.Module] = [nn.Conv2d(in_channels, base, 4, stride=2, padding=1),
                               nn.LeakyReLU(0.2)]
    channels = base
    for _ in range(stages - 1):
        layers += [nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1, bias=False),
                   nn.BatchNorm2d(2 * channels),
                   nn.LeakyReLU(0.2)]
        channels *= 2
    layers += [nn.Conv2d(channels, 1, 4, stride=1, padding=0), nn.Flatten()]    # (N, 1)
    return _dcgan_init(nn.Sequential(*layers))
