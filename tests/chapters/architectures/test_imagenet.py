"""Chapter 06: full ImageNet against its ILSVRC-2012 subset."""

from dlcourse.chapters.architectures import imagenet as I


def test_ilsvrc_2012_split_sizes_add_up_to_its_images():
    d = I.ILSVRC_2012
    assert (d.classes, d.train, d.val, d.test) == (1000, 1_281_167, 50_000, 100_000)
    assert d.images == 1_431_167
    assert d.val == 50 * d.classes and d.test == 100 * d.classes


def test_the_subset_is_a_tenth_of_the_images_and_under_5_percent_of_the_classes():
    text = I.format_imagenet()
    assert "10.1% of the images" in text and "4.6% of the classes" in text
    assert "1,281 training images per class" in text
    assert "14,197,122" in text and "21,841" in text
