"""The training and test tools: one-line errors for missing files; same seed, same losses."""
import json
import subprocess
import sys

import pytest

from conftest import CONFIGS, FACE_SAMPLES, REPO


@pytest.mark.parametrize('command,message', [
    (['tools/train.py', 'missing.py'], 'train: config file missing.py not found'),
    (['tools/test.py', 'missing.py', 'x.pth'], 'test: config file missing.py not found'),
    (['tools/test.py', f'{CONFIGS}/300w_mbv2.py', 'x.pth'], 'test: checkpoint file x.pth not found'),
    (['tools/train.py', f'{CONFIGS}/300w_mbv2.py', '--cfg-options',
      'train_dataloader.dataset.data_root=/nowhere/'],
     "train: train_dataloader.dataset.ann_file: /nowhere/annotations/face_landmarks_300w_train"
     ".json not found (data_root='/nowhere/', ann_file='annotations/face_landmarks_300w_train"
     ".json')"),
    (['tools/test.py', f'{CONFIGS}/300w_mbv2.py', f'{REPO}/checkpoints/pipnet_mbv2_ytf68.pth',
      '--cfg-options', f'test_dataloader.dataset.data_root={FACE_SAMPLES}/300w',
      'test_dataloader.dataset.ann_file=test_300w.json'],
     f'test: test_dataloader.dataset.data_prefix.img: image folder {FACE_SAMPLES}/300w/'
     'images/ not found'),
    # a checkpoint of another landmark set (68-point model, 98-point WFLW config)
    (['tools/test.py', f'{CONFIGS}/wflw_res18.py', f'{REPO}/checkpoints/pipnet_mbv2_ytf68.pth',
      '--cfg-options', f'test_dataloader.dataset.data_root={FACE_SAMPLES}/wflw',
      'test_dataloader.dataset.ann_file=test_wflw.json',
      'test_dataloader.dataset.data_prefix.img='],
     'a checkpoint for another landmark set'),
])
def test_missing_files_are_one_line_errors(command, message):
    run = subprocess.run([sys.executable, *command], cwd=REPO, capture_output=True, text=True)
    assert run.returncode != 0 and 'Traceback' not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last == message or last.startswith('test: ') and message in last, last


def first_losses(work_dir):
    options = ['train_cfg.max_epochs=1', 'randomness.seed=7', 'default_hooks.logger.interval=1',
               'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']
    for key in ('data_root', 'ann_file', 'data_prefix.img', 'batch_size', 'num_workers',
                'persistent_workers'):
        value = dict(data_root=f'{FACE_SAMPLES}/300w', ann_file='test_300w.json',
                     batch_size=1, num_workers=0, persistent_workers=False).get(key, '')
        prefix = 'train_dataloader.' if key in ('batch_size', 'num_workers',
                                                'persistent_workers') else \
            'train_dataloader.dataset.'
        options.append(f'{prefix}{key}={value}')
    run = subprocess.run([sys.executable, 'tools/train.py', f'{CONFIGS}/300w_mbv2.py',
                          '--work-dir', str(work_dir), '--cfg-options', *options],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    (log, ) = work_dir.glob('*/vis_data/scalars.json')
    return [json.loads(line)['loss'] for line in log.read_text().splitlines()
            if 'loss' in line]


@pytest.mark.slow
@pytest.mark.shared_data
def test_same_seed_gives_the_same_first_losses(tmp_path):
    first, second = first_losses(tmp_path / 'a'), first_losses(tmp_path / 'b')
    assert len(first) == 2 and first == second


@pytest.mark.parametrize('row,message', [
    ('a.png,1,2,3', 'expected 5 fields, got 4'),
    ('a.png,1,2,nan,4', 'coordinates must be finite (found NaN or inf)'),
    ('a.png,1,2,x,4', 'coordinates must be numbers'),
])
def test_landmark_csv_errors_are_one_line(tmp_path, row, message):
    import cv2
    import numpy as np
    cv2.imwrite(str(tmp_path / 'a.png'), np.zeros((8, 8, 3), np.uint8))
    csv_file = tmp_path / 'x.csv'
    csv_file.write_text(f'image,x0,y0,x1,y1\n{row}\n')
    run = subprocess.run([sys.executable, 'tools/dataset_converters/landmark_csv_to_coco.py',
                          str(csv_file), '--image-root', str(tmp_path), '--out',
                          str(tmp_path / 'x.json')], cwd=REPO, capture_output=True, text=True)
    assert run.returncode != 0 and 'Traceback' not in run.stderr
    assert run.stderr.strip().splitlines()[-1] == \
        f'landmark_csv_to_coco: {csv_file}:2: {message}'
