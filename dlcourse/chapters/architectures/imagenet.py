"""Full ImageNet and the ILSVRC-2012 subset that the classic CNNs were trained and scored on.

ImageNet (Deng et al., 2009) collects images for the noun synsets ("synonym sets") of
WordNet; its full release has about 14.2 million images in 21,841 synsets (image-net.org).
The challenge (Russakovsky et al., 2015) uses a subset: 1000 classes, none of them the
parent of another, with a fixed training, validation and test split.  "ImageNet" in a
paper's error table almost always means this subset.

>>> round(ILSVRC_2012.images / IMAGENET_FULL.images, 3)
0.101
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["ILSVRC_2012", "IMAGENET_FULL", "DatasetSize", "format_imagenet"]


class DatasetSize(NamedTuple):
    """Images and classes of a data set; the split sizes where it has a fixed split."""

    name: str
    classes: int
    train: int
    val: int = 0
    test: int = 0

    @property
    def images(self) -> int:
        """All images, every split together."""
        return self.train + self.val + self.test


IMAGENET_FULL = DatasetSize("ImageNet (full, 'ImageNet-21k')", 21_841, 14_197_122)
# Russakovsky et al. (2015), Table 2: 732 to 1,300 training images per class,
# 50 validation and 100 test images per class.
ILSVRC_2012 = DatasetSize("ILSVRC-2012 (the 'ImageNet' of the papers)", 1000, 1_281_167,
                          50_000, 100_000)


def format_imagenet() -> str:
    """Both data sets as a text table, and what share of full ImageNet the subset is."""
    lines = [f"{'':42s} {'classes':>8s} {'images':>11s} {'train':>11s} {'val':>7s} "
             f"{'test':>8s}"]
    for d in (IMAGENET_FULL, ILSVRC_2012):
        split = (f"{d.train:11,d} {d.val:7,d} {d.test:8,d}" if d.val else
                 f"{'(no fixed split)':>28s}")
        lines.append(f"{d.name:42s} {d.classes:8,d} {d.images:11,d} {split}")
    lines.append(f"the subset has {ILSVRC_2012.images / IMAGENET_FULL.images:.1%} of the images "
                 f"and {ILSVRC_2012.classes / IMAGENET_FULL.classes:.1%} of the classes; "
                 f"about {ILSVRC_2012.train // ILSVRC_2012.classes:,} training images per class")
    return "\n".join(lines)
