"""The changes that make image classification hard
(dlcourse.chapters.learning_from_data.challenges)."""

import numpy as np
import pytest

from dlcourse.chapters.learning_from_data.challenges import (
    background_clutter,
    challenge_gallery,
    deformation,
    illumination,
    occlusion,
    viewpoint,
)
from dlcourse.data import digits, rotate, scale


@pytest.fixture(scope="module")
def three():
    X, y = digits(upsample=16)
    return X[y == 3][0, 0]


def test_every_challenge_keeps_shape_and_dtype_but_changes_the_pixels(three):
    gallery = challenge_gallery(three, seed=1)
    assert list(gallery)[0] == "original"
    for name, image in gallery.items():
        assert image.shape == three.shape and image.dtype == three.dtype, name
        if name != "original":
            assert np.abs(image - three).max() > 0.1, name


def test_viewpoint_is_a_zoom_then_a_rotation(three):
    np.testing.assert_allclose(viewpoint(three, degrees=20, factor=0.8),
                               rotate(scale(three, 0.8), 20))


def test_illumination_fades_linearly_from_right_to_left():
    lit = illumination(np.ones((2, 5)), darkest=0.2)
    np.testing.assert_allclose(lit[0], [0.2, 0.4, 0.6, 0.8, 1.0])


def test_deformation_by_whole_pixels_shifts_each_row():
    image = np.zeros((4, 8))
    image[:, 3] = 1.0
    bent = deformation(image, amplitude=2.0, waves=1.0)   # offsets 2 sin(pi r / 2): 0, 2, 0, -2
    assert [int(np.argmax(row)) for row in bent] == [3, 5, 3, 1]
    np.testing.assert_allclose(bent.sum(axis=1), 1.0, atol=1e-12)


def test_occlusion_paints_a_grey_square():
    covered = occlusion(np.zeros((10, 10)), top=0.5, left=0.2, size=0.3, grey=0.7)
    assert (covered[5:8, 2:5] == 0.7).all()
    assert covered.sum() == pytest.approx(9 * 0.7)


def test_background_clutter_keeps_the_object_and_depends_on_the_seed(three):
    a, b = background_clutter(three, seed=0), background_clutter(three, seed=1)
    assert (a >= three).all()
    assert not np.array_equal(a, b)


def test_challenges_work_on_a_stack_of_images_one_by_one(three):
    stack = np.stack([three, three[::-1]])[:, None]                  # (2, 1, H, W)
    for name, changed in challenge_gallery(stack).items():
        assert changed.shape == stack.shape, name
        np.testing.assert_allclose(changed[1, 0], challenge_gallery(three[::-1].copy())[name],
                                   atol=1e-6, err_msg=name)


def test_challenges_need_grey_float_images():
    with pytest.raises(ValueError, match="2 or 3 or 4-dimensional"):
        illumination(np.zeros(4))
    with pytest.raises(TypeError, match="floating"):
        occlusion(np.zeros((4, 4), dtype=int))
