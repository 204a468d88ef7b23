"""tools/new_landmark_set.py: mean face, flip pairs, metainfo and a PIPNet config for a new
landmark set, on MMPose's face fixtures in their formats (COCO json, a csv, .pts files).

MMPose's fixtures hold 2 to 4 faces with some yaw, so their mean faces are not mirror
symmetric: mirroring one gives MMPose's pairs for AFLW (19 points) but only beyond the
default tolerance, and wrong pairs for WFLW (98). The matching itself is checked on the
datasets' own mean faces (mmpose_pipnet/meanfaces/, the full training sets' means), where it
gives MMPose's pairs; on the fixtures the tool must never write a wrong flip."""
import csv
import json
import math
import os
import os.path as osp
import subprocess
import sys

import mmpose
import numpy as np
import pytest
from mmengine.config import Config
from mmpose.datasets import (AFLWDataset, COFWDataset, Face300WDataset, LapaDataset,
                             WFLWDataset)
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import DATASETS, KEYPOINT_CODECS

from conftest import FACE_SAMPLES, REPO, YTF68, load_tool
from mmpose_pipnet.nrm import load_meanface, meanface_from_coco

tool = load_tool('new_landmark_set.py')

MMPOSE_SET = {'AFLW': AFLWDataset, 'WFLW': WFLWDataset, '300W': Face300WDataset,
              'COFW': COFWDataset, 'LaPa': LapaDataset, 'ytf68': Face300WDataset}
FIXTURE = {'aflw': ('test_aflw.json', AFLWDataset), 'wflw': ('test_wflw.json', WFLWDataset),
           '300w': ('test_300w.json', Face300WDataset),
           '300wlp': ('test_300wlp.json', Face300WDataset),
           'cofw': ('test_cofw.json', COFWDataset), 'lapa': ('test_lapa.json', LapaDataset)}
# 5 points of the 68 (iBUG order): eye centres (means of 36-41, 42-47), nose tip, mouth corners
FIVE = [list(range(36, 42)), list(range(42, 48)), [30], [48], [54]]
FIVE_FLIP = [1, 0, 2, 4, 3]


def mmpose_flip(dataset_class) -> list:
    """MMPose's own flip indices of a face dataset (from its metainfo file in the package)."""
    metainfo_file = osp.join(osp.dirname(mmpose.__file__), '.mim',
                             dataset_class.METAINFO['from_file'])
    return parse_pose_metainfo(dict(from_file=metainfo_file))['flip_indices']


def run_tool(*argv) -> dict:
    return tool.main([str(a) for a in argv])


def built(config: str):
    """The written config and its training dataset, as the runner builds them."""
    cfg = Config.fromfile(config)
    return cfg, DATASETS.build(cfg.train_dataloader.dataset)


def write_five_point_csv(path, people: int = 24) -> str:
    """Eye centres, nose tip and mouth corners of ytf68's 68 points, one face for each of
    the first ``people`` people of its train.csv (image paths relative to its images/)."""
    with open(osp.join(YTF68, 'train.csv')) as f:
        reader = csv.reader(f)
        next(reader)
        faces = {}
        for image, *values in reader:
            faces.setdefault(image.rsplit('_', 1)[0], (image, values))
    rows = ['image,' + ','.join(f'x{i},y{i}' for i in range(len(FIVE)))]
    for person in sorted(faces)[:people]:
        image, values = faces[person]
        points = np.array(values, dtype=float).reshape(-1, 2)
        five = np.stack([points[group].mean(0) for group in FIVE])
        rows.append(image + ',' + ','.join(f'{v:.3f}' for v in five.ravel()))
    path.write_text('\n'.join(rows) + '\n')
    return str(path)


def write_pts_folder(folder) -> str:
    """The 300W fixture as a 300W-style folder: each image with a same-named .pts."""
    folder.mkdir()
    with open(f'{FACE_SAMPLES}/300w/test_300w.json') as f:
        coco = json.load(f)
    files = {im['id']: im['file_name'] for im in coco['images']}
    for ann in coco['annotations']:
        name = files[ann['image_id']]
        os.symlink(f'{FACE_SAMPLES}/300w/{name}', folder / name)
        points = np.array(ann['keypoints']).reshape(-1, 3)[:, :2]
        body = '\n'.join(f'{x:.3f} {y:.3f}' for x, y in points)
        (folder / name).with_suffix('.pts').write_text(
            f'version: 1\nn_points: {len(points)}\n{{\n{body}\n}}\n')
    return str(folder)


# ----------------------------------------------------------------------------- mirroring
@pytest.mark.parametrize('name', sorted(MMPOSE_SET))
@pytest.mark.parametrize('roll', [0, 20])
def test_mirroring_a_dataset_mean_face_gives_mmpose_flip_pairs(name, roll):
    """The datasets' own mean faces (full training sets), upright or rolled by 20 degrees
    and shifted: every point's mirror match is MMPose's flip partner, within 0.02 face
    sizes."""
    angle = np.deg2rad(roll)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    match = tool.mirror_match(load_meanface(name) @ rotation.T * 3 + [5, -2])
    assert match.partner.tolist() == mmpose_flip(MMPOSE_SET[name])
    assert match.reliable() and match.distance.max() < 0.02


def test_mirroring_depends_on_the_points_not_their_order():
    meanface = load_meanface('WFLW')
    order = np.random.RandomState(0).permutation(len(meanface))
    match = tool.mirror_match(meanface[order])  # point k of the shuffled set: order[k]
    assert (order[match.partner] == np.array(mmpose_flip(WFLWDataset))[order]).all()


@pytest.mark.shared_data
@pytest.mark.parametrize('folder', sorted(FIXTURE))
def test_the_tool_never_writes_a_wrong_flip(folder, tmp_path):
    """On each MMPose fixture the flip written is MMPose's or none (flip off), never a wrong
    pairing, and the training pipeline flips exactly when there are pairs."""
    ann_file, dataset_class = FIXTURE[folder]
    result = run_tool(f'{FACE_SAMPLES}/{folder}/{ann_file}', '--img-root',
                      f'{FACE_SAMPLES}/{folder}', '--out-dir', tmp_path, '--name', folder)
    cfg, dataset = built(result['config'])
    flip = dataset.metainfo['flip_indices']
    identity = list(range(len(flip)))
    assert flip in (mmpose_flip(dataset_class), identity)
    flips = 'RandomFlip' in [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert flips == (flip != identity)


# ----------------------------------------------------------------------------- 19 and 98
@pytest.mark.shared_data
def test_aflw_fixture_matches_mmpose_pairs_beyond_the_default_tolerance(tmp_path, capsys):
    """19 points, 2 faces: the mirror matches are MMPose's AFLW pairs, but the nose tip is
    0.11 face sizes off: reported, flip off; accepted with --flip-tolerance 0.2."""
    args = [f'{FACE_SAMPLES}/aflw/test_aflw.json', '--img-root', f'{FACE_SAMPLES}/aflw']
    result = run_tool(*args, '--out-dir', tmp_path / 'strict', '--name', 'aflw19')
    out = capsys.readouterr().out
    assert 'point  13 centre point  distance 0.109  ! over the tolerance 0.05' in out
    assert 'flip pairs: NOT used, flip off (point 13 is 0.109 face sizes' in out
    assert 'NME normalisation: no flip pairs: NME by the face box size' in out
    cfg, dataset = built(result['config'])
    assert dataset.metainfo['flip_indices'] == list(range(19))
    assert 'RandomFlip' not in [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert cfg.val_evaluator.norm_item == 'bbox_size'

    result = run_tool(*args, '--out-dir', tmp_path / 'loose', '--name', 'aflw19',
                      '--flip-tolerance', '0.2')
    cfg, dataset = built(result['config'])
    assert dataset.metainfo['flip_indices'] == mmpose_flip(AFLWDataset)
    assert 'RandomFlip' in [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    # the eyebrows' outer ends: the flip pair farthest apart in the upper half
    assert cfg.val_evaluator.keypoint_indices == [0, 5]
    assert cfg.model.head.num_keypoints == 19 and cfg.model.head.decoder.num_neighbors == 10


@pytest.mark.shared_data
def test_wflw_fixture_refuses_its_wrong_mirror_match_and_takes_given_pairs(tmp_path, capsys):
    """98 points, 4 faces with yaw: mirroring pairs points wrongly, at up to 0.37 face
    sizes: flip off. MMPose's WFLW pairs given on the command line are written as given."""
    args = [f'{FACE_SAMPLES}/wflw/test_wflw.json', '--img-root', f'{FACE_SAMPLES}/wflw']
    result = run_tool(*args, '--out-dir', tmp_path / 'auto', '--name', 'wflw98')
    assert 'flip pairs: NOT used, flip off' in capsys.readouterr().out
    assert built(result['config'])[1].metainfo['flip_indices'] == list(range(98))

    flip = mmpose_flip(WFLWDataset)
    pairs = [f'{i},{j}' for i, j in enumerate(flip) if i < j]
    result = run_tool(*args, '--out-dir', tmp_path / 'given', '--name', 'wflw98',
                      '--flip-pairs', *pairs, '--norm-indices', 60, 72)
    cfg, dataset = built(result['config'])
    assert dataset.metainfo['flip_indices'] == flip
    assert cfg.val_evaluator.norm_mode == 'keypoint_distance'
    assert cfg.val_evaluator.keypoint_indices == [60, 72]
    meanface = load_meanface(cfg.model.head.decoder.meanface)
    np.testing.assert_allclose(meanface, meanface_from_coco(str(tmp_path / 'given' /
                                                                'train.json')), atol=1e-6)


@pytest.mark.shared_data
@pytest.mark.parametrize('folder', ['wflw', '300w', 'cofw'])
def test_boxes_are_mmpose_face_datasets_boxes(folder, tmp_path):
    """A json with MMPose's center/scale (the WFLW fixture's face 40 has a bbox that
    misses its chin by more than its height): the written training set's boxes are those
    MMPose's own dataset class reads from the same file."""
    ann_file, dataset_class = FIXTURE[folder]
    ann_file = f'{FACE_SAMPLES}/{folder}/{ann_file}'
    result = run_tool(ann_file, '--img-root', f'{FACE_SAMPLES}/{folder}', '--out-dir',
                      tmp_path, '--name', folder)
    ours = built(result['config'])[1]
    theirs = dataset_class(ann_file=ann_file, data_prefix=dict(img=f'{FACE_SAMPLES}/{folder}/'),
                           test_mode=True, lazy_init=False)
    assert len(ours) == len(theirs)
    for i in range(len(ours)):
        np.testing.assert_allclose(ours.get_data_info(i)['bbox'],
                                   theirs.get_data_info(i)['bbox'], atol=1e-3)


# ----------------------------------------------------------------------------- 5 and 68
@pytest.mark.shared_data
def test_five_points_from_a_csv(tmp_path, capsys):
    """Eye centres, nose tip and mouth corners of 24 ytf68 people as a csv: at the default
    tolerance the mirror finds the eyes and mouth corners as pairs and the nose tip as
    centre point, proposes the eyes as the NME normaliser, and caps num_neighbors at
    K-1 = 4."""
    csv_file = write_five_point_csv(tmp_path / 'five.csv')
    result = run_tool(csv_file, '--img-root', f'{YTF68}/images', '--out-dir',
                      tmp_path / 'out', '--name', 'five')
    out = capsys.readouterr().out
    assert 'point   2 centre point' in out and 'proposed: points 0 and 1' in out
    assert 'flip pairs: found by mirroring (2 pairs' in out
    cfg, dataset = built(result['config'])
    assert len(dataset) == 24 and dataset.metainfo['flip_indices'] == FIVE_FLIP
    assert 'RandomFlip' in [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert cfg.val_evaluator.keypoint_indices == [0, 1]
    codec = KEYPOINT_CODECS.build(cfg.model.head.decoder)
    assert codec.num_neighbors == 4 and codec.meanface.shape == (5, 2)
    np.testing.assert_allclose(codec.meanface,
                               meanface_from_coco(str(tmp_path / 'out' / 'train.json')),
                               atol=1e-6)


@pytest.mark.shared_data
def test_68_points_from_a_pts_folder_with_given_pairs_and_validation(tmp_path):
    folder = write_pts_folder(tmp_path / 'faces')
    flip = mmpose_flip(Face300WDataset)
    pairs = [f'{i},{j}' for i, j in enumerate(flip) if i < j]
    val = f'{FACE_SAMPLES}/300w/test_300w.json'
    result = run_tool(folder, '--out-dir', tmp_path / 'out', '--name', 'ibug68',
                      '--flip-pairs', *pairs, '--norm-indices', 36, 45, '--val', val,
                      '--val-img-root', f'{FACE_SAMPLES}/300w')
    cfg, dataset = built(result['config'])
    assert len(dataset) == 2 and dataset.metainfo['flip_indices'] == flip
    # the 300W json's boxes from its center/scale, as MMPose's Face300WDataset reads them
    assert cfg.val_dataloader.dataset.ann_file == str(tmp_path / 'out' / 'val.json')
    assert cfg.val_evaluator.keypoint_indices == [36, 45]
    # the metainfo file is MMPose's format: the dataset class reads it like its own
    info = Config.fromfile(result['metainfo']).dataset_info
    assert (info.keypoint_info[36].name, info.keypoint_info[36].swap) == ('kpt-36', 'kpt-45')
    assert info.keypoint_info[30].swap == ''  # nose tip: a centre point
    assert len(info.joint_weights) == 68 and info.skeleton_info == {}


# ----------------------------------------------------------------------------- training
def train_one_iteration(config, work_dir) -> dict:
    """tools/train.py on the written config: one epoch of 2 to 4 faces (batch 4: one
    iteration), then validation; returns the validation metrics."""
    options = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
               'default_hooks.logger.interval=1', 'train_dataloader.batch_size=4']
    for loader in ('train_dataloader', 'val_dataloader'):
        options += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    run = subprocess.run([sys.executable, 'tools/train.py', str(config), '--work-dir',
                          str(work_dir), '--cfg-options', *options], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert (work_dir / 'best_NME_epoch_1.pth').is_file()
    (log, ) = work_dir.glob('*/vis_data/scalars.json')
    records = [json.loads(line) for line in log.read_text().splitlines()]
    (trained, ) = [r for r in records if 'loss' in r]
    assert trained['iter'] == 1 and math.isfinite(trained['loss'])
    (metrics, ) = [r for r in records if 'NME' in r]
    return metrics


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize('points', [5, 19, 98])
def test_written_configs_train_one_iteration_and_evaluate(points, tmp_path):
    """5 points from ytf68 (a csv, flip found, NME by the eyes), 19 from the AFLW fixture
    (flip at --flip-tolerance 0.2, NME by two points) and 98 from the WFLW fixture (flip
    off, NME by the box size): each written config trains and evaluates."""
    if points == 5:
        argv = [write_five_point_csv(tmp_path / 'five.csv', people=4), '--img-root',
                f'{YTF68}/images']
    else:
        folder, ann_file = {19: ('aflw', 'test_aflw.json'), 98: ('wflw', 'test_wflw.json')}[
            points]
        argv = [f'{FACE_SAMPLES}/{folder}/{ann_file}', '--img-root', f'{FACE_SAMPLES}/{folder}']
        argv += ['--flip-tolerance', '0.2'] if points == 19 else []
    result = run_tool(*argv, '--out-dir', tmp_path / 'out')
    flips = points != 98
    assert (result['flip_indices'].tolist() != list(range(points))) == flips
    metrics = train_one_iteration(result['config'], tmp_path / 'work')
    assert math.isfinite(metrics['NME'])


# ----------------------------------------------------------------------------- errors
def aflw_copy(tmp_path, edit):
    with open(f'{FACE_SAMPLES}/aflw/test_aflw.json') as f:
        coco = json.load(f)
    edit(coco)
    path = tmp_path / 'faces.json'
    path.write_text(json.dumps(coco))
    return str(path)


def one_point(coco):
    for ann in coco['annotations']:
        ann['keypoints'] = ann['keypoints'][:3]


def drop_last_point_of_second_face(coco):
    del coco['annotations'][1]['keypoints'][-3:]


AFLW = f'{FACE_SAMPLES}/aflw/test_aflw.json'
ERRORS = {
    'K < 2': (one_point, [], ['faces.json', 'K=1 point per face', 'at least 2']),
    'inconsistent K': (drop_last_point_of_second_face, [],
                       ['faces.json: annotation 68 (image image04476.jpg) has K=18 points, '
                        'the first face has K=19']),
    'flip not an involution': (None, ['--flip-pairs', '0,5', '5,1'],
                               ['--flip-pairs 5,1: point 5 is already paired with 0',
                                'involution']),
    'flip out of range': (None, ['--flip-pairs', '0,19'],
                          ['--flip-pairs 0,19: point 19 out of range for K=19 (0..18)']),
    'flip malformed': (None, ['--flip-pairs', '0-5'], ["--flip-pairs '0-5'"]),
    'norm out of range': (None, ['--norm-indices', '3', '19'],
                          ['--norm-indices 3 19: point 19 out of range for K=19']),
    'missing annotations': ('missing.json', [], ['missing.json not found']),
    'missing image root': (None, ['--img-root', '/nowhere'], ['--img-root /nowhere',
                                                               'not found']),
    'missing image': (None, ['--img-root', REPO], [f'image {REPO}/image', 'not found',
                                                   '2 of 2 missing', '--img-root']),
    'validation K': (None, ['--val', f'{FACE_SAMPLES}/wflw/test_wflw.json', '--val-img-root',
                            f'{FACE_SAMPLES}/wflw'], ['test_wflw.json: K=98', 'K=19']),
}


@pytest.mark.shared_data
@pytest.mark.parametrize('case', sorted(ERRORS))
def test_bad_input_is_one_line_naming_the_file_or_field(case, tmp_path):
    edit, argv, fragments = ERRORS[case]
    annotations = aflw_copy(tmp_path, edit) if callable(edit) else \
        str(tmp_path / edit) if edit else AFLW
    if '--img-root' not in argv:
        argv = ['--img-root', f'{FACE_SAMPLES}/aflw'] + argv
    out_dir = tmp_path / 'out'
    with pytest.raises(SystemExit) as error:
        run_tool(annotations, '--out-dir', out_dir, *argv)
    message = str(error.value.code)
    assert message.startswith('new_landmark_set: ') and '\n' not in message, message
    for fragment in fragments:
        assert fragment in message, message
    assert not list(out_dir.glob('*.py'))  # no config or metainfo from bad input


def test_command_line_error_is_one_line_without_traceback(tmp_path):
    run = subprocess.run([sys.executable, 'tools/new_landmark_set.py', 'missing.json',
                          '--img-root', '.', '--out-dir', str(tmp_path)], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and 'Traceback' not in run.stderr, run.stderr[-3000:]
    assert run.stderr.strip().splitlines()[-1] == (
        'new_landmark_set: annotations missing.json not found (a .json, a .csv or a folder '
        'of images with .pts files)')
