"""Head pose from 68 landmarks: angles back from the 3D mean face projected at known poses
(scaled orthographic and perspective, with pixel noise), the sign conventions, bad input,
the pose in Faces / json / drawing, and NME per |yaw| bin in the metric."""
import numpy as np
import pytest

from mmpose_pipnet.apis import Faces
from mmpose_pipnet.apis.drawing import draw_faces
from mmpose_pipnet.apis.head_pose import (angles_from_rotation, estimate_head_pose, project,
                                          rotation_matrix)
from mmpose_pipnet.evaluation.metrics.nme_fr_auc import nme_by_yaw
from mmpose_pipnet.utils import InputError


def test_signs_of_the_angles():
    frontal = project(0, 0, 0)
    nose = 30
    assert project(30, 0, 0)[nose, 0] > frontal[nose, 0] + 5  # yaw +: nose to the right
    assert project(0, 20, 0)[nose, 1] < frontal[nose, 1] - 5  # pitch +: nose up
    eyes = project(0, 0, 15)[[36, 45]]
    assert eyes[1, 1] > eyes[0, 1] + 5  # roll +: the eye line turns clockwise (y down)


def test_rotation_round_trip():
    angles = np.array([[30., -10., 5.], [-70., 25., -30.], [0., 0., 0.]])
    back = angles_from_rotation(rotation_matrix(*angles.T))
    np.testing.assert_allclose(back, angles, atol=1e-6)


@pytest.mark.parametrize('distance', [np.inf, 1000.0, 600.0])
def test_known_poses_come_back(distance):
    """A grid of poses, yaw -75..75, pitch -30..30, roll -30..30, the face ~180 px wide,
    1 px noise; the camera at 600 / 1000 model units (~mm: a webcam at arm's length) or
    orthographic. Measured: mean |error| yaw / pitch / roll 0.28 / 0.28 / 0.16 deg
    (orthographic), 0.76 / 0.81 / 0.27 (1000), 1.20 / 1.28 / 0.40 (600); max 3.2."""
    rng = np.random.default_rng(0)
    truth = np.array([(y, p, r) for y in range(-75, 76, 15) for p in (-30, -15, 0, 15, 30)
                      for r in (-30, 0, 30)], np.float64)
    points = np.stack([project(*pose, scale=2.0, centre=(320, 240), distance=distance)
                       for pose in truth]) + rng.normal(0, 1.0, (len(truth), 68, 2))
    error = np.abs(estimate_head_pose(points) - truth)
    assert error.mean(0).max() < 2.0, error.mean(0)
    assert error.max() < 5.0, error.max(0)


def test_bad_input():
    with pytest.raises(InputError, match=r'expected \(N, 68, 2\) iBUG-68 landmarks'):
        estimate_head_pose(np.zeros((1, 98, 2)))
    points = project(10, 0, 0)[None].repeat(2, 0)
    points[1, 36] = np.nan
    pose = estimate_head_pose(points)
    assert np.isfinite(pose[0]).all() and np.isnan(pose[1]).all()


def test_faces_carry_the_pose_into_json_and_drawing():
    keypoints = project(40, -10, 5, scale=1.5, centre=(200, 150))
    # the points the mean face does not hold (jaw contour, two inner-lip points) are not
    # used by the estimate: put them on the chin
    keypoints = np.where(np.isnan(keypoints), keypoints[8], keypoints)
    faces = Faces(np.array([[100, 50, 300, 250]], np.float32), np.ones(1, np.float32),
                  keypoints[None].astype(np.float32), np.ones((1, 68), np.float32))
    (face, ) = faces.to_list()
    assert face['head_pose'] == pytest.approx(dict(yaw=40, pitch=-10, roll=5), abs=0.5)
    blank = np.zeros((300, 400, 3), np.uint8)
    canvas = draw_faces(blank, faces, draw_boxes=False)
    red = (canvas[..., 2] > 200) & (canvas[..., 1] < 80) & (canvas[..., 0] < 80)
    assert red.sum() > 20  # the x axis
    nose = keypoints[30]
    ys, xs = np.nonzero(red)
    assert xs.mean() > nose[0]  # the head's x axis points to the image's right
    no_pose = Faces(faces.boxes, faces.box_scores, np.zeros((1, 98, 2), np.float32),
                    np.ones((1, 98), np.float32))
    assert no_pose.head_pose is None and 'head_pose' not in no_pose.to_list()[0]


def test_nme_by_yaw_counts_faces_per_bin():
    poses = [0, 10, -20, 35, 50, -60, 14.0]  # by hand: 0-15: 3, 15-30: 1, 30-45: 1, 45+: 2
    gt = np.stack([project(y, 0, 0, scale=2.0) for y in poses])
    gt[:, :17] = 0.0
    gt = np.concatenate([gt, gt[:1]])
    gt[-1, 40] = np.nan  # an unlabelled rigid point: no yaw
    nme = np.arange(len(gt), dtype=np.float64) / 100
    out = nme_by_yaw(nme, gt, (15, 30, 45))
    assert [out[f'faces_yaw_{b}'] for b in ('0-15', '15-30', '30-45', '45+', 'unknown')] == \
        [3, 1, 1, 2, 1]
    assert out['NME_yaw_0-15'] == pytest.approx((0 + 1 + 6) / 300)
    assert out['NME_yaw_45+'] == pytest.approx((4 + 5) / 200)
    with pytest.raises(InputError, match='yaw_bins need 68 iBUG points'):
        nme_by_yaw(nme[:1], np.zeros((1, 98, 2)), (15, ))
