"""Model zoo: PyTorch builders for the architectures the course studies.

The ImageNet classics (AlexNet, VGG, GoogLeNet, ResNet) follow torchvision's layout and
attribute names, so their parameter counts and ``state_dict`` keys equal torchvision's
(which cannot be installed everywhere the course runs).  The small models train on the
course's offline data sets (:mod:`dlcourse.data`) in seconds to minutes on a CPU.

=====================  =========================  ==============================
builder                input                      output
=====================  =========================  ==============================
``lenet5``             (N, 1, 32, 32)             (N, num_classes)
``alexnet``            (N, 3, >=63, >=63)         (N, num_classes)
``vgg16``, ``vgg19``   (N, 3, >=32, >=32)         (N, num_classes)
``googlenet``          (N, 3, >=15, >=15)         (N, num_classes)
``resnet18/34/50``     (N, 3, >=32, >=32)         (N, num_classes)
``small_cnn``          (N, C, >=4, >=4)           (N, num_classes)
``small_resnet``       (N, C, >=4, >=4)           (N, num_classes)
``plain_net``          (N, C, >=4, >=4)           (N, num_classes)
``unet_tiny``          (N, C, H, W), H, W % 8 = 0 (N, num_classes, H, W)
``yolo_tiny``          (N, C, size, size)         (N, S, S, B * 5 + C)
``gan_mlp_*``          (N, noise_dim) / (N, 2)    (N, 2) / (N, 1) logits
``dcgan_*``            (N, noise_dim) / images    images in [0, 1] / (N, 1) logits
=====================  =========================  ==============================

Count parameters the PyTorch way:

>>> from dlcourse import zoo
>>> sum(p.numel() for p in zoo.lenet5().parameters())
61706
"""

from dlcourse.zoo.classic import (
    VGG,
    VGG16,
    VGG19,
    AlexNet,
    LeNet5,
    alexnet,
    lenet5,
    vgg16,
    vgg19,
    vgg_features,
)
from dlcourse.zoo.engine import plain_net_engine, small_cnn_engine, small_resnet_engine  # noqa
from dlcourse.zoo.gan import (
    dcgan_discriminator,
    dcgan_generator,
    gan_mlp_discriminator,
    gan_mlp_generator,
)
from dlcourse.zoo.googlenet import BasicConv2d, GoogLeNet, Inception, googlenet
from dlcourse.zoo.resnet import (
    BasicBlock,
    Bottleneck,
    PreActBlock,
    ResNet,
    make_stage,
    projection,
    resnet18,
    resnet34,
    resnet50,
)
from dlcourse.zoo.small import PlainBlock, SmallResNet, plain_net, small_cnn, small_resnet
from dlcourse.zoo.unet import UNet, double_conv, unet_tiny
from dlcourse.zoo.yolo import TinyYOLO, yolo_tiny

__all__ = [
    "VGG", "VGG16", "VGG19", "AlexNet", "BasicBlock", "BasicConv2d", "Bottleneck", "GoogLeNet",
    "Inception", "LeNet5", "PlainBlock", "PreActBlock", "ResNet", "SmallResNet", "TinyYOLO",
    "UNet",
    "alexnet", "dcgan_discriminator", "dcgan_generator", "double_conv", "gan_mlp_discriminator",
    "gan_mlp_generator", "googlenet", "lenet5", "make_stage", "plain_net", "projection",
    "resnet18", "resnet34", "resnet50", "small_cnn", "small_resnet", "unet_tiny", "vgg16",
    "vgg19", "vgg_features", "yolo_tiny",
]
