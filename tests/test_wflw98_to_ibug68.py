"""WFLW 98 -> iBUG 68 points (mmpose_pipnet/datasets/wflw98_to_ibug68.py and
tools/dataset_converters/wflw98_to_ibug68.py): the converted WFLW fixture faces are
plausible iBUG faces (near the 300W mean face after a similarity alignment, parts in
order), the table carries MMPose's WFLW flip pairs onto its 300W ones, and the json tool
keeps boxes and ids."""
import json
import os.path as osp

import cv2
import mmpose
import numpy as np
import pytest
from mmpose.datasets.datasets.utils import parse_pose_metainfo

from conftest import FACE_SAMPLES, REPO, load_tool
from mmpose_pipnet.datasets.wflw98_to_ibug68 import (WFLW98_TO_IBUG68,
                                                     wflw98_json_to_ibug68,
                                                     wflw98_to_ibug68)
from mmpose_pipnet.utils import InputError

WFLW_JSON = f'{FACE_SAMPLES}/wflw/test_wflw.json'
MEANFACE = np.loadtxt(osp.join(REPO, 'mmpose_pipnet', 'meanfaces', '300W.txt')).reshape(68, 2)
# NME (mean point error / the outer-eye-corner distance 36-45, the 300W normalisation) of
# a converted face against the 300W mean face after the least-squares similarity. Measured
# on the 4 fixture faces: 0.058, 0.094, 0.107, 0.110 (the last three turned or tilted;
# the mean face is frontal). Wrong tables give 0.43-0.56: the first 68 WFLW points, the
# left/right labels swapped (a mirrored face no rotation undoes), the jaw reversed.
MAX_NME = 0.15
WRONG_TABLE_MIN_NME = 0.4


def metainfo_flip_indices(name: str) -> np.ndarray:
    """flip_indices of MMPose's dataset metainfo configs/_base_/datasets/<name>.py."""
    path = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_', 'datasets',
                    f'{name}.py')
    if not osp.isfile(path):  # an editable MMPose install: resolved by MMPose
        path = f'configs/_base_/datasets/{name}.py'
    return np.array(parse_pose_metainfo(dict(from_file=path))['flip_indices'])


def wflw_faces():
    """[(annotation, (98, 2) points, image file)] of the WFLW fixture json."""
    with open(WFLW_JSON) as f:
        coco = json.load(f)
    files = {image['id']: image['file_name'] for image in coco['images']}
    return [(ann, np.array(ann['keypoints'], np.float64).reshape(98, 3)[:, :2],
             f'{FACE_SAMPLES}/wflw/{files[ann["image_id"]]}') for ann in coco['annotations']]


def similarity_align(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(K, 2) ``src`` moved by the least-squares rotation + scale + shift onto ``dst``
    (Umeyama 1991; no reflection)."""
    src_c, dst_c = src - src.mean(0), dst - dst.mean(0)
    u, s, vt = np.linalg.svd(dst_c.T @ src_c)
    d = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    rotation = u @ d @ vt
    scale = np.trace(np.diag(s) @ d) / (src_c ** 2).sum()
    return scale * src_c @ rotation.T + dst.mean(0)


def nme_to_meanface(points: np.ndarray) -> float:
    aligned = similarity_align(points, MEANFACE)
    return float(np.linalg.norm(aligned - MEANFACE, axis=1).mean()
                 / np.linalg.norm(MEANFACE[36] - MEANFACE[45]))


def test_the_table():
    assert WFLW98_TO_IBUG68.shape == (68, )
    assert len(set(WFLW98_TO_IBUG68.tolist())) == 68 and WFLW98_TO_IBUG68.max() <= 95
    np.testing.assert_array_equal(WFLW98_TO_IBUG68[:17], np.arange(0, 33, 2))
    np.testing.assert_array_equal(WFLW98_TO_IBUG68[48:], np.arange(76, 96))
    np.testing.assert_array_equal(WFLW98_TO_IBUG68[[30, 36, 39, 42, 45, 48, 54]],
                                  [54, 60, 64, 68, 72, 76, 82])  # tip, eye + mouth corners


def test_shapes_and_bad_input():
    points = np.random.default_rng(0).random((3, 98, 2)).astype(np.float32)
    out = wflw98_to_ibug68(points)
    assert out.shape == (3, 68, 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out[1, 30], points[1, 54])
    assert wflw98_to_ibug68(points[0]).shape == (68, 2)
    assert wflw98_to_ibug68(np.zeros((2, 98, 3))).shape == (2, 68, 3)
    with pytest.raises(InputError, match=r'expected \(N, 98, 2\) WFLW landmarks, got shape '
                                         r'\(1, 68, 2\)'):
        wflw98_to_ibug68(np.zeros((1, 68, 2)))


@pytest.mark.shared_data
def test_fixture_faces_become_plausible_ibug_faces(tmp_path):
    faces = wflw_faces()
    assert len(faces) == 4
    flip68 = metainfo_flip_indices('300w')
    for ann, points, image_file in faces:
        ibug = wflw98_to_ibug68(points)
        assert nme_to_meanface(ibug) < MAX_NME, ann['id']
        for wrong in (points[:68], ibug[flip68], np.concatenate([ibug[16::-1], ibug[17:]])):
            assert nme_to_meanface(wrong) > WRONG_TABLE_MIN_NME, ann['id']
        # order, in the upright frame of the mean face (two fixture faces are tilted ~20
        # degrees: point 9, not 8, is the lowest in the image there); x right, y down
        p = similarity_align(ibug, MEANFACE)
        x, y = p[:, 0], p[:, 1]
        assert x[0] < x[8] < x[16] and y[:17].argmax() == 8  # jaw left to right, 8: chin
        assert (np.diff(x[17:22]) > 0).all() and (np.diff(x[22:27]) > 0).all()  # brows
        assert x[21] < x[27] < x[22]  # nose bridge between the brows
        assert (np.diff(y[27:31]) > 0).all() and y[30] < y[33]  # bridge down to the tip
        assert (np.diff(x[31:36]) > 0).all()  # nostril base left to right
        for eye in (slice(36, 42), slice(42, 48)):
            e = p[eye]
            assert e[:, 0].argmin() == 0 and e[:, 0].argmax() == 3  # the two corners
            assert e[1, 0] < e[2, 0] and e[4, 0] > e[5, 0]  # lids run clockwise
            assert max(e[1, 1], e[2, 1]) < min(e[4, 1], e[5, 1])  # upper lid above lower
        assert x[39] < x[42] and x[41] < x[27] < x[42]  # left eye, nose, right eye
        assert y[17:22].mean() < y[[37, 38]].mean() and y[22:27].mean() < y[[43, 44]].mean()
        assert y[36:48].max() < y[30] < y[48:68].min()  # eyes above the nose tip, the mouth
        assert x[48] < x[51] < x[54] and y[51] < y[62] <= y[66] < y[57]  # outer / inner lip
        assert y[57] < y[8]

    # the fixture's first face, the 98 points and the 68, numbered, to eyeball once
    ann, points, image_file = faces[0]
    image = cv2.imread(image_file)
    x0, y0, w, h = ann['bbox']
    side = 1.3 * max(w, h)
    zoom = 400 / side
    crop = np.array([[zoom, 0, 200 - (x0 + w / 2) * zoom], [0, zoom, 200 - (y0 + h / 2) * zoom]])
    panels = []
    for pts in (points, wflw98_to_ibug68(points)):
        panel = cv2.warpAffine(image, crop, (400, 400))
        for i, (px, py) in enumerate(pts @ crop[:, :2].T + crop[:, 2]):
            cv2.circle(panel, (round(px), round(py)), 2, (0, 255, 0), -1)
            cv2.putText(panel, str(i), (round(px) + 2, round(py)), cv2.FONT_HERSHEY_SIMPLEX,
                        0.25, (0, 255, 255))
        panels.append(panel)
    out = tmp_path / 'wflw98_vs_ibug68.png'
    assert cv2.imwrite(str(out), np.concatenate(panels, 1)) and out.stat().st_size > 0


@pytest.mark.shared_data
def test_flip_pairs_map_onto_each_other():
    """Mirroring (x -> W - 1 - x) with WFLW's flip pairs then converting = converting then
    mirroring with 300W's, on the fixture faces and for the index tables themselves."""
    flip98, flip68 = metainfo_flip_indices('wflw'), metainfo_flip_indices('300w')
    assert len(flip98) == 98 and len(flip68) == 68
    np.testing.assert_array_equal(flip98[WFLW98_TO_IBUG68], WFLW98_TO_IBUG68[flip68])
    width = 1024
    for _, points, _ in wflw_faces():
        flipped98 = points[flip98] * [-1, 1] + [width - 1, 0]
        flipped68 = wflw98_to_ibug68(points)[flip68] * [-1, 1] + [width - 1, 0]
        np.testing.assert_array_equal(wflw98_to_ibug68(flipped98), flipped68)


@pytest.mark.shared_data
def test_json_tool(tmp_path, monkeypatch, capsys):
    out = tmp_path / 'sub' / 'wflw68.json'
    tool = load_tool('dataset_converters/wflw98_to_ibug68.py')
    monkeypatch.setattr('sys.argv', ['wflw98_to_ibug68.py', WFLW_JSON, '--out', str(out)])
    tool.main()
    assert f'{out}: 4 faces, 68 points each' in capsys.readouterr().out
    with open(WFLW_JSON) as f:
        source = json.load(f)
    converted = json.loads(out.read_text())
    assert converted['images'] == source['images']
    assert converted['categories'] == source['categories']
    for before, after in zip(source['annotations'], converted['annotations']):
        assert after['num_keypoints'] == 68 and len(after['keypoints']) == 68 * 3
        for key in ('id', 'image_id', 'bbox', 'area', 'center', 'scale', 'category_id'):
            assert after[key] == before[key]
        np.testing.assert_array_equal(
            np.reshape(after['keypoints'], (68, 3)),
            wflw98_to_ibug68(np.reshape(before['keypoints'], (98, 3))))
    assert not list(out.parent.glob('*.tmp*'))
    # a 68-point json given by mistake: one line, no file
    monkeypatch.setattr('sys.argv', ['wflw98_to_ibug68.py', str(out), '--out',
                                     str(tmp_path / 'again.json')])
    with pytest.raises(SystemExit, match=r'wflw68.json: annotation \d+: expected 98 \* 3 '
                                         r'keypoint values \(x, y, v\), got 204'):
        tool.main()
    assert not (tmp_path / 'again.json').exists()
    with pytest.raises(InputError, match='not a COCO-style json'):
        (tmp_path / 'list.json').write_text('[]')
        wflw98_json_to_ibug68(str(tmp_path / 'list.json'), str(tmp_path / 'x.json'))
