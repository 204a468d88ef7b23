"""Bad data through the tools: one-line errors naming the file and field (non-zero exit, no
traceback), or the documented skip."""
import json
import os
import subprocess
import sys

import pytest

from conftest import CONFIGS, FACE_SAMPLES, REPO

W300 = f'{FACE_SAMPLES}/300w'


def fixture_copy(tmp_path, edit=None, empty_image=False):
    """The 300W fixture (2 faces) in tmp_path, its json edited by ``edit(coco)``; with
    ``empty_image`` the first image is a zero-byte file."""
    with open(f'{W300}/test_300w.json') as f:
        coco = json.load(f)
    for image in coco['images']:
        os.symlink(f'{W300}/{image["file_name"]}', tmp_path / image['file_name'])
    if empty_image:
        first = tmp_path / coco['images'][0]['file_name']
        first.unlink()
        first.write_bytes(b'')
    if edit is not None:
        edit(coco)
    with open(tmp_path / 'faces.json', 'w') as f:
        json.dump(coco, f)
    return tmp_path


def train(data_root, work_dir, *options):
    loader = ['train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
              'train_dataloader.persistent_workers=False',
              f'train_dataloader.dataset.data_root={data_root}',
              'train_dataloader.dataset.ann_file=faces.json',
              'train_dataloader.dataset.data_prefix.img=']
    return subprocess.run(
        [sys.executable, 'tools/train.py', f'{CONFIGS}/300w_mbv2.py', '--work-dir',
         str(work_dir), '--cfg-options', 'train_cfg.max_epochs=1', 'val_cfg=None',
         'val_dataloader=None', 'val_evaluator=None', *loader, *options],
        cwd=REPO, capture_output=True, text=True, timeout=600)


def assert_one_line_error(run, *fragments):
    assert run.returncode != 0 and 'Traceback' not in run.stderr, run.stderr[-3000:]
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith('train: '), last
    for fragment in fragments:
        assert fragment in last, last


def set_point(index, value):
    def edit(coco):
        coco['annotations'][0]['keypoints'][3 * index:3 * index + 2] = value
    return edit


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize('edit,fragments', [
    (set_point(5, [float('nan'), 100.0]), ['faces.json', 'labelled point 5', 'NaN']),
    (set_point(7, [1e6, 200.0]), ['faces.json', 'labelled point 7', 'outside the face box']),
    (lambda coco: coco['annotations'][0]['keypoints'].__delitem__(slice(-3, None)),
     ['faces.json', 'has 67 points', 'num_keypoints=68']),
])
def test_bad_annotations_stop_training_with_one_line(tmp_path, edit, fragments):
    run = train(fixture_copy(tmp_path, edit), tmp_path / 'work')
    assert_one_line_error(run, *fragments)


@pytest.mark.slow
@pytest.mark.shared_data
def test_unreadable_image_fails_or_is_skipped_and_counted(tmp_path):
    data = fixture_copy(tmp_path, empty_image=True)
    with open(data / 'faces.json') as f:
        bad = json.load(f)['images'][0]['file_name']
    run = train(data, tmp_path / 'fail')
    assert_one_line_error(run, bad, 'cannot be read', "on_error='skip'")
    run = train(data, tmp_path / 'skip', 'train_dataloader.dataset.pipeline.0.on_error=skip')
    assert run.returncode == 0, run.stderr[-3000:]
    assert f'skipped unreadable image {data / bad} (1 skipped so far' in run.stdout + run.stderr


@pytest.mark.slow
@pytest.mark.shared_data
def test_num_nb_of_k_or_more_is_one_line(tmp_path):
    run = train(fixture_copy(tmp_path), tmp_path / 'work',
                'model.head.decoder.num_neighbors=68')
    assert_one_line_error(run, 'num_neighbors=68 must be in [1, K-1]')
