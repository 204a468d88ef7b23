"""The CLI on a folder as a batch job: 10,000 generated images with unreadable files among
them, results written one JSON line per image as it goes, a run killed by SIGKILL resumed
with --resume, and torchrun sharding the folder across 2 CPU processes (gloo); the
resumed and the sharded outputs equal the uninterrupted single-process one, byte for
byte."""
import json
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
import torch

from conftest import REPO
from mmpose_pipnet.apis import landmarks_cli
from mmpose_pipnet.apis.landmarks_cli import (folder_results, merge_results, read_records,
                                              sample_image)
from mmpose_pipnet.utils import InputError

FOLDER_SIZE = 10_000
#: every 2000th image (from 1) is grace_hopper.jpg at full, half or quarter size
FACE_EVERY = 2000
#: every 997th file (from 3 and 5) is empty or a text file named .jpg
UNREADABLE_EVERY = 997
KILL_AFTER = 4000  # records written when the interrupted run is killed
# one thread per process, as torchrun gives each of its processes: the single-process
# runs then compute exactly as the sharded ones, and tiny images are fastest that way on
# a busy machine (threads waiting on each other cost more than they bring)
ENV = dict(os.environ, OMP_NUM_THREADS='1')
TIMEOUT_S = 600


def make_folder(folder, count: int):
    """``count`` files ``00000.png`` ...: 32 x 32 noise PNGs, grace_hopper.jpg (512 x 600,
    256 x 300 or 128 x 150) every ``FACE_EVERY``, an empty .png and a text .jpg every
    ``UNREADABLE_EVERY``. Returns the face images' and the unreadable files' paths."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    grace = cv2.imread(sample_image())
    faces, unreadable = [], []
    for index in range(count):
        stem = str(folder / f'{index:05d}')
        if index % UNREADABLE_EVERY == 3:
            open(stem + '.png', 'wb').close()
            unreadable.append(stem + '.png')
        elif index % UNREADABLE_EVERY == 5:
            with open(stem + '.jpg', 'w') as f:
                f.write('not an image')
            unreadable.append(stem + '.jpg')
        elif index % FACE_EVERY == 1:
            shrink = (1, 2, 4)[index % 3]
            cv2.imwrite(stem + '.jpg', cv2.resize(grace, (512 // shrink, 600 // shrink)))
            faces.append(stem + '.jpg')
        else:
            cv2.imwrite(stem + '.png', rng.integers(0, 256, (32, 32, 3), np.uint8))
    return faces, unreadable


def cli(*args: str) -> list:
    return [sys.executable, 'demo/face_demo.py', *args]


def summary(stdout: str) -> list:
    """The CLI's summary lines: counts, then any unreadable files, one a line."""
    lines = stdout.splitlines()
    return lines[next(i for i, line in enumerate(lines) if 'one line per image' in line):]


def run(command: list) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=REPO, env=ENV, capture_output=True, text=True,
                            timeout=TIMEOUT_S)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope='module')
def batch(tmp_path_factory):
    """The generated folder and its uninterrupted single-process run."""
    root = tmp_path_factory.mktemp('batch')
    folder = root / 'photos'
    faces, unreadable = make_folder(folder, FOLDER_SIZE)
    out_dir = root / 'straight'
    result = run(cli(str(folder), '--out-dir', str(out_dir)))
    return dict(root=root, folder=folder, faces=faces, unreadable=unreadable,
                result=result, out_file=out_dir / 'photos_landmarks.jsonl')


@pytest.mark.slow
def test_a_folder_of_10000_images_keeps_going_past_unreadable_files(batch):
    records, _ = read_records(str(batch['out_file']))
    assert [record['image'] for record in records] == sorted(
        str(path) for path in batch['folder'].iterdir())
    errors = {record['image']: record['error'] for record in records if 'error' in record}
    assert sorted(errors) == batch['unreadable'] and len(errors) == 22
    counts, *listed = summary(batch['result'].stdout)
    assert counts.startswith(f'{FOLDER_SIZE - 22} image(s), ')
    assert counts.endswith(f'and one line per image to {batch["out_file"]}')
    assert listed == ['22 image(s) could not be read:'] + [
        f'  {errors[path]}' for path in batch['unreadable']]
    assert all(message.endswith('not an image OpenCV can read (empty, corrupt or another '
                                'format)') for message in errors.values())
    by_image = {record['image']: record for record in records}
    for path in batch['faces']:  # one face each, its landmarks inside its box
        (face, ) = by_image[path]['faces']
        points, (x1, y1, x2, y2) = np.array(face['keypoints']), face['bbox']
        assert ((points >= [x1, y1]) & (points <= [x2, y2])).mean() > 0.9
    assert f'images: 100%|██████████| {FOLDER_SIZE}/{FOLDER_SIZE}' in batch['result'].stderr
    drawn = cv2.imread(str(batch['out_file'].parent / '00001_landmarks.jpg'))
    assert drawn.shape == (300, 256, 3)  # 00001.jpg: half size


@pytest.mark.slow
def test_a_killed_run_resumes_where_it_stopped(batch):
    out_dir = batch['root'] / 'killed'
    out_file = out_dir / 'photos_landmarks.jsonl'
    process = subprocess.Popen(cli(str(batch['folder']), '--out-dir', str(out_dir)),
                               cwd=REPO, env=ENV, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + TIMEOUT_S
    while not (out_file.is_file() and out_file.read_bytes().count(b'\n') >= KILL_AFTER):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    done = out_file.read_bytes().count(b'\n')
    assert KILL_AFTER <= done < FOLDER_SIZE
    with open(out_file, 'a') as f:  # as if killed in the middle of writing a line
        f.write('{"image": "' + str(batch['folder']))
    result = run(cli(str(batch['folder']), '--out-dir', str(out_dir), '--resume'))
    assert f'({done} done by an earlier run)' in result.stdout
    assert f'{done}/{FOLDER_SIZE}' in result.stderr  # the progress bar starts there
    assert out_file.read_bytes() == batch['out_file'].read_bytes()
    assert sorted(path.name for path in out_dir.glob('photos_landmarks*')) == [
        'photos_landmarks.jsonl']


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU (gloo) path')
def test_torchrun_shards_the_folder_like_one_process(batch):
    out_dir = batch['root'] / 'torchrun'
    result = run([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
                  '--master_port', '29641', 'demo/face_demo.py', str(batch['folder']),
                  '--out-dir', str(out_dir)])
    half = FOLDER_SIZE // 2
    assert f'images: 100%|██████████| {half}/{half}' in result.stderr  # rank 0's share
    out_file = out_dir / 'photos_landmarks.jsonl'
    assert out_file.read_bytes() == batch['out_file'].read_bytes()
    assert [path.name for path in out_dir.glob('photos_landmarks*')] == [out_file.name]
    assert summary(result.stdout) == summary(batch['result'].stdout.replace(
        str(batch['out_file'].parent), str(out_dir)))


def test_records_survive_a_cut_line_and_merge_in_image_order(tmp_path):
    out_file = str(tmp_path / 'photos_landmarks.jsonl')
    assert folder_results(str(tmp_path), str(tmp_path / 'photos')) == out_file
    images = [f'/p/{index}.png' for index in range(5)]
    records = [dict(image=image, faces=[]) for image in images]
    complete = json.dumps(records[0]) + '\n' + json.dumps(records[1]) + '\n'
    with open(out_file, 'w') as f:  # a single-process run killed after two images
        f.write(complete + '{"ima')
    assert read_records(out_file) == (records[:2], len(complete))
    for rank, shard in ((0, [records[2], records[4]]), (1, [records[1], records[3]])):
        with open(f'{out_file}.part{rank}', 'w') as f:  # then 2 processes, one resumed
            f.writelines(json.dumps(record) + '\n' for record in shard)
    parts = [f'{out_file}.part0', f'{out_file}.part1']
    assert merge_results(images, out_file, parts) == records
    assert read_records(out_file) == (records, os.path.getsize(out_file))
    assert sorted(os.listdir(tmp_path)) == ['photos_landmarks.jsonl']
    with open(out_file, 'a') as f:
        f.write('x,y\n')
    with pytest.raises(InputError, match=f'{out_file}: line 6 is not a result record'):
        read_records(out_file)


def test_resume_is_for_folders(tmp_path):
    image = tmp_path / 'grey.png'
    cv2.imwrite(str(image), np.full((64, 64, 3), 127, np.uint8))
    with pytest.raises(SystemExit, match=r"--resume is for folders \(it continues a killed "
                                         r"run from the folder's .jsonl\)"):
        landmarks_cli.main([str(image), '--resume', '--out-dir', str(tmp_path)])
