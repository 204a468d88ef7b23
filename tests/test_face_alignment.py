"""Aligned face crops (mmpose_pipnet/apis/face_alignment.py, Faces.aligned_crops and the
CLI's --aligned-crops): the 5-point similarity (exact on an exact similarity, the
least-squares optimum otherwise), the warp moving image points to where the transform
says, real 300W fixture faces through FaceLandmarker landing on the ArcFace template, bad
input as one-line errors, and the files the CLI writes."""
import os.path as osp
import types

import cv2
import numpy as np
import pytest

from conftest import FACE_SAMPLES
from mmpose_pipnet.apis import Faces, FaceLandmarker
from mmpose_pipnet.apis import landmarks_cli
from mmpose_pipnet.apis.face_alignment import (TEMPLATES_112, align_faces,
                                               alignment_transforms, five_points,
                                               similarity_transform, template_points)
from mmpose_pipnet.apis.head_pose import project
from mmpose_pipnet.utils import InputError

IMAGES = [f'{FACE_SAMPLES}/300w/indoor_020.png', f'{FACE_SAMPLES}/300w/indoor_029.png']
# Five points do not fit a similarity exactly: the eye centres of the bundled model's
# landmarks, mapped by the fitted transform, land this close (pixels of the 112 px crop)
# to the template's. Measured: indoor_020.png (pitch ~ -20 deg) 2.04 / 1.35 px, indoor_029
# (yaw ~ 17 deg) 0.43 / 1.49; matplotlib's frontal grace_hopper.jpg 1.60 / 1.13. The nose
# tip and mouth corners are looser (up to 7 px on the pitched face): not bounded here.
EYE_MAX_PX = 2.5


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(K, 2) points through a (2, 3) affine matrix."""
    return points @ matrix[:, :2].T + matrix[:, 2]


def eye_centres(points: np.ndarray) -> np.ndarray:
    """(2, 2) the means of 68-point 36-41 and 42-47."""
    return np.stack([points[36:42].mean(0), points[42:48].mean(0)])


def synthetic_faces(yaw: float = 0.0) -> np.ndarray:
    """(1, 68, 2) a frontal-ish face about 180 px wide around (200, 150): the head-pose
    mean face projected; the points it lacks (jaw contour) on the chin."""
    points = project(yaw, 0, 10, scale=1.5, centre=(200, 150))
    return np.where(np.isnan(points), points[8], points)[None]


def test_exact_similarity_comes_back():
    dst = template_points('arcface', 112)
    angle, scale, shift = np.deg2rad(25.0), 3.2, np.array([310.0, -40.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = (dst - shift) @ rotation / scale  # so that dst = scale * rotation @ src + shift
    matrix = similarity_transform(src, dst)
    np.testing.assert_allclose(apply(matrix, src), dst, atol=1e-9)
    np.testing.assert_allclose(matrix, np.concatenate([scale * rotation, shift[:, None]], 1),
                               atol=1e-9)


def test_least_squares_optimum():
    """The Umeyama closed form equals the linear least squares of x' = a x - b y + tx,
    y' = b x + a y + ty (4 unknowns), on noisy points."""
    rng = np.random.default_rng(0)
    dst = template_points()
    src = dst * 2.0 + rng.normal(0, 3.0, dst.shape) + 50
    matrix = similarity_transform(src, dst)
    x, y = src.T
    rows = np.concatenate([np.stack([x, -y, np.ones(5), np.zeros(5)], 1),
                           np.stack([y, x, np.zeros(5), np.ones(5)], 1)])
    (a, b, tx, ty), *_ = np.linalg.lstsq(rows, np.concatenate(dst.T), rcond=None)
    np.testing.assert_allclose(matrix, [[a, -b, tx], [b, a, ty]], atol=1e-9)


def test_templates_scale_with_the_size():
    np.testing.assert_allclose(template_points('arcface', 112), TEMPLATES_112['arcface'])
    np.testing.assert_allclose(template_points('arcface', 224), 2 * TEMPLATES_112['arcface'])
    assert TEMPLATES_112['arcface'][0, 0] < TEMPLATES_112['arcface'][1, 0]  # image order


def test_the_warp_moves_pixels_where_the_transform_says():
    """Dots drawn at the five points in a synthetic image appear in the crop at the
    transformed points (so the matrix is used image -> crop, not inverted)."""
    keypoints = synthetic_faces(yaw=15)
    five = five_points(keypoints)[0]
    image = np.zeros((320, 400, 3), np.uint8)
    for x, y in five:
        cv2.circle(image, (round(x * 16), round(y * 16)), 8 * 16, (255, 255, 255), -1,
                   cv2.LINE_AA, shift=4)
    for size in (112, 224):
        crops, matrices = align_faces(image, keypoints, size)
        assert crops.shape == (1, size, size, 3) and crops.dtype == np.uint8
        expected = apply(matrices[0], five)
        count, labels, _, centroids = cv2.connectedComponentsWithStats(
            (crops[0, ..., 0] > 64).astype(np.uint8))
        assert count == 6  # background + five dots
        found = centroids[1:][np.argmin(np.linalg.norm(
            centroids[1:, None] - expected[None], axis=2), axis=0)]
        np.testing.assert_allclose(found, expected, atol=0.5 * size / 112)


def test_eye_centres_land_on_the_template_within_a_pixel():
    """Where the five points are a similarity of the template (a face shaped like it,
    turned 20 degrees in the image, 2.7x its size), the eye centres drawn in the photo
    are found in the 112 px crop within a pixel of the template's (measured: < 0.1 px).
    Real faces are not shaped like the template: the least-squares fit leaves them
    0.4-2.0 px off (``EYE_MAX_PX`` below)."""
    angle, scale, shift = np.deg2rad(20.0), 2.7, np.array([130.0, 60.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    template = template_points('arcface', 112)
    five = template @ rotation.T * scale + shift  # the template in the photo
    keypoints = np.repeat(five[2:3], 68, 0)
    keypoints[36:42], keypoints[42:48] = five[0], five[1]
    keypoints[48], keypoints[54] = five[3], five[4]
    image = np.zeros((480, 480, 3), np.uint8)
    for x, y in five[:2]:
        cv2.circle(image, (round(x * 16), round(y * 16)), 6 * 16, (255, 255, 255), -1,
                   cv2.LINE_AA, shift=4)
    crops, _ = align_faces(image, keypoints[None].astype(np.float32))
    grey = crops[0, ..., 0].astype(np.float64)
    count, labels = cv2.connectedComponents((grey > 0).astype(np.uint8))
    assert count == 3  # background + two eyes
    found = np.array([[(grey * (labels == i) * axis).sum() / (grey * (labels == i)).sum()
                       for axis in np.mgrid[:112, :112][::-1]] for i in (1, 2)])
    found = found[np.argsort(found[:, 0])]  # image left eye first, as the template
    assert np.linalg.norm(found - template[:2], axis=1).max() < 1.0


def test_bad_input_and_edge_cases():
    image = np.zeros((300, 400, 3), np.uint8)
    keypoints = synthetic_faces()
    with pytest.raises(InputError, match=r'^aligned crops: expected \(N, 68, 2\) iBUG-68 '
                                         r'landmarks, got shape \(1, 98, 2\)$'):
        align_faces(image, np.zeros((1, 98, 2)))
    with pytest.raises(InputError, match=r"^aligned crops: unknown template 'vggface2'; "
                                         r"known: arcface$"):
        align_faces(image, keypoints, template='vggface2')
    with pytest.raises(InputError, match='size must be a positive integer'):
        align_faces(image, keypoints, size=0)
    with pytest.raises(InputError, match=r'expected an \(H, W, 3\) uint8 image'):
        align_faces(image[..., 0], keypoints)
    faces = Faces(np.zeros((0, 4), np.float32), np.zeros(0, np.float32),
                  np.zeros((0, 68, 2), np.float32), np.zeros((0, 68), np.float32))
    assert faces.aligned_crops(image).shape == (0, 112, 112, 3)
    two = np.concatenate([keypoints, keypoints])
    two[1, 36] = np.nan  # a face with a lost point: a black crop, the other one as usual
    crops, matrices = align_faces(np.full_like(image, 200), two)
    assert np.isnan(matrices[1]).all() and not crops[1].any() and crops[0].any()


@pytest.fixture(scope='module')
def landmarker():
    return FaceLandmarker()  # the bundled model, offline YuNet boxes


@pytest.mark.slow
@pytest.mark.shared_data
def test_real_faces_land_on_the_template(landmarker):
    template = template_points()
    for path in IMAGES:
        image = cv2.imread(path)
        faces = landmarker(image)
        assert len(faces) == 1, path
        crops = faces.aligned_crops(image)
        assert crops.shape == (1, 112, 112, 3) and crops.dtype == np.uint8
        # a picture, with the face in the middle: skin between the eyes and the mouth
        # (measured: std 106 / 71, that patch's mean 137 / 80 grey levels)
        assert crops[0].std() > 20 and crops[0, 45:95, 35:80].mean() > 50, path
        (matrix, ) = alignment_transforms(faces.keypoints)
        mapped = apply(matrix, faces.keypoints[0].astype(np.float64))
        error = np.linalg.norm(eye_centres(mapped) - template[:2], axis=1)
        assert error.max() < EYE_MAX_PX, (path, error)
        # upright: the eye line within a few degrees of the template's, the mouth below
        assert abs(mapped[42:48, 1].mean() - mapped[36:42, 1].mean()) < 3
        assert mapped[36:48, 1].max() < mapped[30, 1] < mapped[48:68, 1].min()
        with pytest.raises(InputError, match='unknown template'):
            faces.aligned_crops(image, template='ffhq')


@pytest.mark.slow
@pytest.mark.shared_data
def test_cli_writes_one_crop_per_face(landmarker, tmp_path, monkeypatch, capsys):
    # the already loaded landmarker (the CLI would load the same bundled model again)
    monkeypatch.setattr(landmarks_cli, 'FaceLandmarker', lambda *args: landmarker)
    crops = tmp_path / 'crops'
    landmarks_cli.main([IMAGES[1], '--out-dir', str(tmp_path / 'out'),
                        '--aligned-crops', str(crops)])
    assert f'and <name>_face<i>.png to {crops}' in capsys.readouterr().out
    assert sorted(p.name for p in crops.iterdir()) == ['indoor_029_face0.png']
    crop = cv2.imread(str(crops / 'indoor_029_face0.png'))
    image = cv2.imread(IMAGES[1])
    np.testing.assert_array_equal(crop, landmarker(image).aligned_crops(image)[0])
    # a folder: every image's faces
    landmarks_cli.main([osp.dirname(IMAGES[0]), '--out-dir', str(tmp_path / 'out'),
                        '--aligned-crops', str(crops)])
    assert sorted(p.name for p in crops.iterdir()) == ['indoor_020_face0.png',
                                                       'indoor_029_face0.png']


def test_cli_refuses_videos_and_other_point_sets(tmp_path, monkeypatch):
    clip = tmp_path / 'clip.mp4'
    with pytest.raises(SystemExit, match='--aligned-crops is for images and folders of '
                                         'images, not videos or webcams'):
        landmarks_cli.main([str(clip), '--aligned-crops', str(tmp_path / 'crops')])
    image = tmp_path / 'grey.png'
    cv2.imwrite(str(image), np.full((64, 64, 3), 127, np.uint8))
    monkeypatch.setattr(landmarks_cli, 'FaceLandmarker',
                        lambda *args: types.SimpleNamespace(num_keypoints=98))
    with pytest.raises(SystemExit, match='--aligned-crops needs a 68-point model; '
                                         'pipnet-ytf68 predicts 98 points'):
        landmarks_cli.main([str(image), '--aligned-crops', str(tmp_path / 'crops')])
    assert not (tmp_path / 'crops').exists()
