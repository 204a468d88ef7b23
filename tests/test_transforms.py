"""The reference augmentations that MMPose lacks."""
import numpy as np
import pytest
from mmpose.registry import TRANSFORMS


def image(seed=0):
    return np.random.default_rng(seed).integers(0, 256, (64, 80, 3), dtype=np.uint8)


def test_occlusion_box_paints_one_uniform_box_within_the_size_limit():
    np.random.seed(0)
    occlude = TRANSFORMS.build(dict(type='RandomOcclusionBox', max_size=0.4, prob=1.0))
    seen = 0
    for _ in range(30):
        src = image()
        out = occlude(dict(img=src))['img']
        changed = (out != src).any(-1)
        if not changed.any():
            continue
        seen += 1
        ys, xs = np.nonzero(changed)
        box = out[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        assert (box == box[0, 0]).all()  # one colour
        assert ys.max() - ys.min() + 1 <= int(64 * 0.4) and xs.max() - xs.min() + 1 <= 32
    assert seen > 20
    assert (TRANSFORMS.build(dict(type='RandomOcclusionBox', prob=0.0))(
        dict(img=image()))['img'] == image()).all()


def test_grayscale_and_blur():
    gray = TRANSFORMS.build(dict(type='RandomGrayscale', prob=1.0))(dict(img=image()))['img']
    assert gray.shape == (64, 80, 3) and (gray[..., 0] == gray[..., 2]).all()
    np.random.seed(1)
    blur = TRANSFORMS.build(dict(type='RandomGaussianBlur', max_radius=5, prob=1.0))
    outs = [blur(dict(img=image()))['img'] for _ in range(5)]
    assert all(o.shape == (64, 80, 3) and o.dtype == np.uint8 for o in outs)
    assert any((o != image()).any() for o in outs)
    assert max(o.astype(float).std() for o in outs) < image().astype(float).std()


def test_translate_rotate_ranges_and_probabilities():
    np.random.seed(2)
    jitter = TRANSFORMS.build(dict(type='RandomBBoxTranslateRotate', max_shift=30 / 256,
                                   shift_prob=0.5, max_rotate=30, rotate_prob=0.5))
    shifts, rotations = [], []
    for _ in range(2000):
        out = jitter(dict(bbox_center=np.array([[100., 50.]]),
                          bbox_scale=np.array([[256., 256.]])))
        shifts.append(out['bbox_center'][0] - [100, 50])
        rotations.append(out['bbox_rotation'][0])
    shifts, rotations = np.array(shifts), np.array(rotations)
    assert np.abs(shifts).max() <= 30 + 1e-9  # pixels of a 256 px box
    assert np.mean((shifts != 0).any(1)) == pytest.approx(0.5, abs=0.05)
    assert np.abs(rotations).max() <= 30 and np.mean(rotations != 0) == pytest.approx(0.5,
                                                                                        abs=0.05)
    moved = np.abs(shifts[(shifts != 0).any(1), 0])
    assert moved.mean() == pytest.approx(15, abs=1.5)  # uniform on [-30, 30]: mean |x| 15


@pytest.mark.parametrize('cfg,message', [
    (dict(type='RandomOcclusionBox', max_size=1.5), r'max_size=1.5 must be in \[0, 1\]'),
    (dict(type='RandomGrayscale', prob=2), r'prob=2 must be in \[0, 1\]'),
    (dict(type='RandomGaussianBlur', max_radius=-1), 'max_radius=-1 must be in'),
    (dict(type='RandomBBoxTranslateRotate', max_rotate=400), 'max_rotate=400 must be in'),
])
def test_bad_parameters_fail_with_a_clear_message(cfg, message):
    with pytest.raises(ValueError, match=message):
        TRANSFORMS.build(cfg)


def flip_sample(keypoints, width=20, height=10):
    """One bright pixel per keypoint at ``keypoints - 1`` (1-based labels)."""
    img = np.zeros((height, width, 3), np.uint8)
    for x, y in keypoints:
        img[int(y) - 1, int(x) - 1] = 255
    return dict(img=img, img_shape=(height, width),
                keypoints=np.array([keypoints], np.float32),
                keypoints_visible=np.ones((1, len(keypoints))), flip_indices=[1, 0],
                bbox_center=np.array([[10., 5.]], np.float32),
                bbox=np.array([[0., 0., 19., 9.]], np.float32))


def test_flip_with_label_origin_keeps_1_based_labels_on_their_pixels():
    flip = TRANSFORMS.build(dict(type='RandomFlipWithLabelOrigin', label_origin=1, prob=1.0,
                                 direction='horizontal'))
    out = flip(flip_sample([(5., 4.), (1., 1.)]))
    # pixel (4, 3) -> (15, 3), pixel (0, 0) -> (19, 0); labels 1-based, pairs swapped
    np.testing.assert_array_equal(out['keypoints'][0], [[20., 1.], [16., 4.]])
    for x, y in out['keypoints'][0]:
        assert out['img'][int(y) - 1, int(x) - 1, 0] == 255
    np.testing.assert_array_equal(out['bbox_center'], [[11., 5.]])
    np.testing.assert_array_equal(out['bbox'], [[2., 0., 21., 9.]])
    # MMPose's RandomFlip mirrors the same 1-based labels to two pixels left of their content
    plain = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0, direction='horizontal'))
    np.testing.assert_array_equal(plain(flip_sample([(5., 4.), (1., 1.)]))['keypoints'][0],
                                  [[18., 1.], [14., 4.]])


def test_flip_with_label_origin_0_is_mmposes_flip_and_twice_is_identity():
    ours = TRANSFORMS.build(dict(type='RandomFlipWithLabelOrigin', prob=1.0))
    plain = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))
    for key in ('keypoints', 'bbox_center', 'bbox', 'img'):
        np.testing.assert_array_equal(ours(flip_sample([(5., 4.), (1., 1.)]))[key],
                                      plain(flip_sample([(5., 4.), (1., 1.)]))[key])
    one_based = TRANSFORMS.build(dict(type='RandomFlipWithLabelOrigin', label_origin=1,
                                      prob=1.0))
    twice = one_based(one_based(flip_sample([(5., 4.), (1., 1.)])))
    np.testing.assert_array_equal(twice['keypoints'][0], [[5., 4.], [1., 1.]])


def test_flip_with_label_origin_refuses_crop_coordinates_and_bad_origins():
    flip = TRANSFORMS.build(dict(type='RandomFlipWithLabelOrigin', label_origin=1, prob=1.0))
    with pytest.raises(ValueError, match='must come before TopdownAffine'):
        flip(dict(flip_sample([(5., 4.), (1., 1.)]), input_size=(192, 192)))
    with pytest.raises(ValueError, match="label_origin='1' must be a finite number"):
        TRANSFORMS.build(dict(type='RandomFlipWithLabelOrigin', label_origin='1'))
