"""tools/dataset_converters/synthesize_turned_faces.py: a 3D-fitted face turned to a new
yaw is rendered from its own texture, with its landmarks on the rendered face, the map to
the source continuous (no pasted edge), and the output deterministic."""
import json
import os.path as osp
import re

import cv2
import numpy as np
import pytest

from conftest import FACE_SAMPLES, SHARED, load_tool
from mmpose_pipnet.apis.head_pose import estimate_head_pose

pytestmark = pytest.mark.shared_data
SFM_DIR = osp.join(SHARED, 'data', 'sfm')
FIXTURE = osp.join(FACE_SAMPLES, '300w')


@pytest.fixture(scope='module')
def tool():
    return load_tool('dataset_converters/synthesize_turned_faces.py')


@pytest.fixture(scope='module')
def model(tool):
    return tool.SurreyFaceModel(SFM_DIR)


@pytest.fixture(scope='module')
def face():
    """indoor_029.png of MMPose's 300-W fixture: image, 68 points, yaw about 13 degrees."""
    with open(osp.join(FIXTURE, 'test_300w.json')) as f:
        coco = json.load(f)
    image = coco['images'][0]
    points = np.asarray(coco['annotations'][0]['keypoints'], float).reshape(-1, 3)[:, :2]
    return cv2.imread(osp.join(FIXTURE, image['file_name'])), points


def mapped_vertices(inner_only=True):
    """(iBUG indices, SFM vertices) of eos's ibug_to_sfm.txt mapping."""
    with open(osp.join(SFM_DIR, 'ibug_to_sfm.txt')) as f:
        text = f.read().split('[landmark_mappings]')[1].split('[')[0]
    pairs = sorted((int(a) - 1, int(b)) for a, b in re.findall(r'^\s*(\d+)\s*=\s*(\d+)',
                                                                text, re.M))
    pairs = [(i, v) for i, v in pairs if not inner_only or i >= 17]
    return np.array([i for i, _ in pairs]), np.array([v for _, v in pairs])


def test_rasterize_keeps_the_nearest_triangle(tool):
    xy = np.array([[2.0, 2], [30, 2], [2, 30], [10, 10], [40, 10], [10, 40]])
    depth = np.array([0.0, 0, 0, 5, 5, 5])  # the second triangle is nearer
    triangles = np.array([[0, 1, 2], [3, 4, 5]])
    index, bary = tool.rasterize(xy, depth, triangles, 48, 48)
    first = np.zeros((48, 48), np.uint8)
    cv2.fillConvexPoly(first, xy[:3].astype(np.int32), 1)
    second = np.zeros((48, 48), np.uint8)
    cv2.fillConvexPoly(second, xy[3:].astype(np.int32), 1)
    assert abs((index >= 0).sum() - (first | second).sum()) <= 0.05 * (first | second).sum()
    assert index[12, 12] == 1 and index[4, 4] == 0 and index[45, 45] == -1
    np.testing.assert_allclose(bary[index >= 0].sum(-1), 1.0, atol=1e-9)
    # the barycentric coordinates give the pixel back
    rows, cols = np.nonzero(index == 1)
    back = (bary[rows, cols][..., None] * xy[triangles[1]]).sum(1)
    np.testing.assert_allclose(back, np.stack([cols, rows], -1), atol=1e-6)


def test_no_turn_gives_the_image_and_points_back(tool, model, face):
    image, points = face
    view = tool.turn_face(model, image, points, 0.0)
    assert np.abs(view.image.astype(int) - image).max() == 0
    np.testing.assert_allclose(view.points, points, atol=1e-3)


@pytest.mark.parametrize('target', [30.0, 45.0, 60.0])
def test_turned_view_lands_on_the_rendered_face(tool, model, face, target):
    image, points = face
    fit = model.fit(points, image.shape[1], image.shape[0])
    yaw, pitch, roll = fit.angles()
    view = tool.turn_face(model, image, points, target - yaw, fit=fit)
    # the head pose of the new landmarks is the one asked for
    estimated = estimate_head_pose(view.points[None])[0]
    assert abs(estimated[0] - target) < 6.0
    assert abs(estimated[2] - estimate_head_pose(points[None])[0, 2]) < 4.0
    # against an independent projection: the fitted mesh's own landmark vertices seen from
    # the new rotation (their offset from the points is the fit's residual, ~2.7% here)
    inner, vertices = mapped_vertices()
    projected = fit.project(fit.turned(target - yaw, 0.0), fit.vertices.mean(0))[0]
    inter_ocular = np.linalg.norm(points[36] - points[45])
    nme = np.linalg.norm(projected[vertices] - view.points[inner], axis=1).mean() / inter_ocular
    assert nme < 0.04
    # brows, nose, eyes and outer lips lie on rendered face pixels (inner lips: the mouth)
    on_face = view.face_mask[np.round(view.points[17:60, 1]).astype(int),
                             np.round(view.points[17:60, 0]).astype(int)]
    assert on_face.mean() >= 0.9
    # the rendered face is neither blank nor smeared: its detail (Laplacian variance) and
    # contrast are of the order of the source face's
    gray = cv2.cvtColor(view.image, cv2.COLOR_BGR2GRAY).astype(float)
    source_gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(float)
    source_mask = tool.rasterize(*fit.project(), model.triangles, *image.shape[:2])[0] >= 0
    detail = cv2.Laplacian(gray, cv2.CV_64F)[view.face_mask].var()
    source_detail = cv2.Laplacian(source_gray, cv2.CV_64F)[source_mask].var()
    assert detail > 0.4 * source_detail
    assert gray[view.face_mask].std() > 0.7 * source_gray[source_mask].std()
    # no seam: the source map jumps across the face's rim no more than it stretches inside
    # the face (a pasted face would jump by the face's own displacement, tens of pixels)
    maps, mask = view.source_xy, view.face_mask
    across = np.r_[np.linalg.norm(maps[:, 1:] - maps[:, :-1], axis=-1)[mask[:, 1:] != mask[:, :-1]],
                   np.linalg.norm(maps[1:] - maps[:-1], axis=-1)[mask[1:] != mask[:-1]]]
    inside = np.r_[np.linalg.norm(maps[:, 1:] - maps[:, :-1], axis=-1)[mask[:, 1:] & mask[:, :-1]],
                   np.linalg.norm(maps[1:] - maps[:-1], axis=-1)[mask[1:] & mask[:-1]]]
    assert np.percentile(across, 95) < 3.0 * np.percentile(inside, 99)


def test_far_side_jaw_moves_to_the_silhouette(tool, model, face):
    """Turned away, the far jaw points move inwards (towards the nose) onto the silhouette
    (the rim of the rendered face); the near side widens."""
    image, points = face
    fit = model.fit(points, image.shape[1], image.shape[0])
    yaw = fit.angles()[0]
    view = tool.turn_face(model, image, points, 50.0 - yaw, fit=fit)
    # yaw > 0: the nose moves to the image's right, the face's right side (points 0-7, on
    # the image's left) turns to the camera, its left side (points 9-16) turns away
    nose = view.points[30, 0]
    far_gap = view.points[12:16, 0] - nose
    source_far_gap = points[12:16, 0] - points[30, 0]
    assert (far_gap < 0.6 * source_far_gap).all()
    inside = cv2.distanceTransform(view.face_mask.astype(np.uint8), cv2.DIST_L2, 5)
    outside = cv2.distanceTransform((~view.face_mask).astype(np.uint8), cv2.DIST_L2, 5)
    rows, cols = np.round(view.points[12:16, ::-1]).astype(int).T
    to_rim = np.maximum(inside[rows, cols], outside[rows, cols])
    assert (to_rim < 0.1 * np.linalg.norm(points[36] - points[45])).all()
    near_gap = nose - view.points[1:5, 0]
    assert (near_gap > points[30, 0] - points[1:5, 0]).all()  # the near side widens


def test_synthesize_writes_a_deterministic_dataset(tool, tmp_path):
    ann = osp.join(FIXTURE, 'test_300w.json')
    first = tool.synthesize(ann, FIXTURE, SFM_DIR, str(tmp_path / 'a'), yaws=[45.0],
                            pitch_range=(-10.0, 10.0), seed=3)
    second = tool.synthesize(ann, FIXTURE, SFM_DIR, str(tmp_path / 'b'), yaws=[45.0],
                             pitch_range=(-10.0, 10.0), seed=3)
    assert first['views'] == 2
    with open(first['ann_file']) as f:
        coco = json.load(f)
    with open(second['ann_file']) as f:
        assert json.load(f) == coco
    for image in coco['images']:
        a = (tmp_path / 'a' / 'images' / image['file_name']).read_bytes()
        assert a == (tmp_path / 'b' / 'images' / image['file_name']).read_bytes()
        assert image['target_yaw'] == 45.0 and abs(image['pitch_turn']) <= 10.0
    points = np.array([a['keypoints'] for a in coco['annotations']]).reshape(2, 68, 3)[..., :2]
    assert np.all(np.abs(np.abs(estimate_head_pose(points)[:, 0]) - 45.0) < 8.0)
    for annotation, pts in zip(coco['annotations'], points):
        x, y, w, h = annotation['bbox']  # the points' tight square, as the source json's
        assert w == pytest.approx(np.ptp(pts, 0).max(), abs=1e-2)


def test_eval_turned_faces_groups_views_by_target_yaw(tool, tmp_path):
    """tools/analysis/eval_turned_faces.py: the views grouped by the target |yaw| the tool
    wrote; a json without it is refused; box-normalised NME by hand."""
    from mmpose_pipnet.utils import InputError
    evaluation = load_tool('analysis/eval_turned_faces.py')
    ann = osp.join(FIXTURE, 'test_300w.json')
    summary = tool.synthesize(ann, FIXTURE, SFM_DIR, str(tmp_path), yaws=[30.0, 60.0])
    groups = evaluation.views_by_target_yaw(summary['ann_file'], str(tmp_path / 'images'))
    assert list(groups) == [30.0, 60.0] and [len(g) for g in groups.values()] == [2, 2]
    assert all('_yaw60_' in item['path'] for item in groups[60.0])
    with pytest.raises(InputError, match='target_yaw'):
        evaluation.views_by_target_yaw(ann, FIXTURE)
    items = groups[30.0]
    row = evaluation.summarise(dict(nme_gt_box=[0.05, 0.03], detected=0.5), items)
    points = np.concatenate([item['points'] for item in items])
    ratio = np.linalg.norm(points[:, 36] - points[:, 45], axis=-1) / np.ptp(points, 1).max(-1)
    assert row['nme'] == pytest.approx(4.0)
    assert row['nme_box'] == pytest.approx(100 * np.mean(np.array([0.05, 0.03]) * ratio),
                                           abs=1e-3)
    assert row['faces'] == 2 and row['detected'] == 0.5
