"""A disk that fills while a file is written (``OSError(ENOSPC)`` from inside the write):
a checkpoint save in a real training run, STC pseudo-labels, the CLI's json and JSON-lines
results, tools/test.py's --out. Each leaves the previous file whole and no temporary file,
and stops with one line naming the file and the cause; training and the CLI then resume."""
import errno
import json
import os
import os.path as osp
import subprocess
import sys
import types

import cv2
import numpy as np
import pytest
import torch
from mmengine.fileio.backends import LocalBackend

from conftest import CONFIGS, FACE_SAMPLES, REPO, load_tool, train_in_subprocess
from mmpose_pipnet.apis import Faces, landmarks_cli
from mmpose_pipnet.datasets import write_pseudo_labels
from mmpose_pipnet.utils import files
from mmpose_pipnet.utils.files import WriteError

NO_SPACE = os.strerror(errno.ENOSPC)  # 'No space left on device'
MEANFACE = np.loadtxt(osp.join(REPO, 'mmpose_pipnet', 'meanfaces', '300W.txt')).reshape(-1, 2)


class FillingFile:
    """A file opened for writing on a :class:`FillingDisk`."""

    def __init__(self, file, disk: 'FillingDisk') -> None:
        self.file, self.disk = file, disk

    def write(self, data):
        """Writes what still fits; raises ENOSPC when that is not all of ``data``."""
        fits = min(len(data), self.disk.room)
        self.file.write(data[:fits])
        self.disk.room -= fits
        if fits < len(data):
            raise OSError(errno.ENOSPC, NO_SPACE)
        return fits

    def __getattr__(self, name):
        return getattr(self.file, name)

    def __enter__(self) -> 'FillingFile':
        return self

    def __exit__(self, *exc_info) -> None:
        self.file.close()


class FillingDisk:
    """``open`` for a disk with ``room`` bytes (text: characters) left: files opened to
    write take writes until it is full, then write what fits and raise ``OSError(ENOSPC)``
    (as ``write(2)`` on a full disk); files opened to read are ordinary."""

    def __init__(self, room: int) -> None:
        self.room = room

    def __call__(self, path, mode: str = 'r', *args, **kwargs):
        file = open(path, mode, *args, **kwargs)
        return file if mode.startswith('r') else FillingFile(file, self)


def half_then_no_space(self, obj, filepath, *args) -> None:
    """``LocalBackend.put`` / ``put_text`` on a disk that fills half-way."""
    with open(filepath, 'wb' if isinstance(obj, bytes) else 'w') as f:
        f.write(obj[:len(obj) // 2])
    raise OSError(errno.ENOSPC, NO_SPACE)


# tools/train.py, with MMEngine's file backend failing half-way through epoch_3.pth (as
# test_runner.py's save does, but in a training run and through the tool)
TRAIN_WITH_A_FULL_DISK = '''
import errno, os, os.path as osp, runpy, sys
from mmengine.fileio.backends import LocalBackend
put = LocalBackend.put
def put_until_epoch_3(self, obj, filepath):
    if osp.basename(str(filepath)).startswith('.epoch_3.pth'):
        with open(filepath, 'wb') as f:
            f.write(obj[:len(obj) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    put(self, obj, filepath)
LocalBackend.put = put_until_epoch_3
sys.path.insert(0, 'tools')
sys.argv = ['tools/train.py', *sys.argv[1:]]
runpy.run_path('tools/train.py', run_name='__main__')
'''

TRAIN_CONFIG = """
_base_ = ['{base}']
custom_imports = dict(imports=['mmpose_pipnet', 'training_probe'], allow_failed_imports=False)
custom_hooks = [dict(type='SyncBuffersHook'), dict(type='KeypointCountCheckHook'),
                dict(type='AnnotationCheckHook'), dict(type='RNGStateHook'),
                dict(type='TrainingProbe')]
randomness = dict(seed=0)
train_cfg = dict(max_epochs=4, val_interval=100)
val_cfg = val_dataloader = val_evaluator = None
fixture = dict(data_root='{w300}', ann_file='test_300w.json', data_prefix=dict(img=''))
train_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                        dataset=fixture)
test_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                       dataset=fixture)
default_hooks = dict(checkpoint=dict(max_keep_ckpts=2, save_best=None))
"""


@pytest.mark.slow
@pytest.mark.shared_data
def test_a_checkpoint_the_disk_refuses_stops_training_in_one_line_and_resume_works(tmp_path):
    """4 epochs of the 300W fixture (2 iterations each), keeping 2 checkpoints: the save
    of epoch_3.pth fails half-way (MMEngine has already removed epoch_1.pth to keep 2).
    The run stops there with one line, before epoch 4; epoch_2.pth and last_checkpoint
    are whole, and --resume trains epochs 3 and 4."""
    config = tmp_path / 'full_disk.py'
    config.write_text(TRAIN_CONFIG.format(base=f'{CONFIGS}/300w_mbv2.py',
                                          w300=f'{FACE_SAMPLES}/300w'))
    work_dir = tmp_path / 'work'
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([osp.join(REPO, 'tests'), REPO]))
    run = subprocess.run([sys.executable, '-c', TRAIN_WITH_A_FULL_DISK, str(config),
                          '--work-dir', str(work_dir)], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 1 and 'Traceback' not in run.stderr, run.stderr[-3000:]
    assert run.stderr.strip().splitlines()[-1] == (
        f'train: {work_dir}/epoch_3.pth: could not be written ({NO_SPACE}); the previous '
        f'checkpoint {work_dir}/epoch_2.pth is intact and --resume continues from it')
    def iterations():  # trained, as TrainingProbe records them (0-based, over the run)
        with open(work_dir / 'probe.jsonl') as f:
            return [json.loads(line)['iter'] for line in f]
    assert iterations() == [0, 1, 2, 3, 4, 5]  # epochs 1-3 (2 each), none of epoch 4
    assert sorted(p.name for p in work_dir.iterdir() if p.suffix == '.pth' or
                  'checkpoint' in p.name or '.tmp' in p.name) == ['epoch_2.pth',
                                                                  'last_checkpoint']
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'epoch_2.pth')
    kept = torch.load(work_dir / 'epoch_2.pth', map_location='cpu', weights_only=True)
    assert kept['meta']['epoch'] == 2

    log = train_in_subprocess(config, work_dir, resume=True)
    assert 'resumed epoch: 2, iter: 4' in log
    assert iterations() == [0, 1, 2, 3, 4, 5, 4, 5, 6, 7]  # epoch 3 again, then 4
    final = torch.load(work_dir / 'epoch_4.pth', map_location='cpu', weights_only=True)
    assert final['meta']['epoch'] == 4 and final['meta']['iter'] == 8
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'epoch_4.pth')


def test_pseudo_labels_are_written_atomically(tmp_path, monkeypatch):
    """STC's round_<r>_pseudo_labels.json (write_pseudo_labels -> dump_json_atomically)."""
    def records(count: int):
        return [dict(img_path=str(tmp_path / f'{index}.png'), ori_shape=(120, 100),
                     keypoints=MEANFACE * 80 + index, keypoint_scores=np.ones(68))
                for index in range(count)]
    out_file = tmp_path / 'round_1_pseudo_labels.json'
    assert write_pseudo_labels(records(1), str(tmp_path), str(out_file)) == 1
    before = out_file.read_bytes()
    monkeypatch.setattr(files, 'open', FillingDisk(len(before) // 2), raising=False)
    with pytest.raises(WriteError, match=f'^{out_file}: could not be written '
                                         rf'\({NO_SPACE}\)$'):
        write_pseudo_labels(records(3), str(tmp_path), str(out_file))
    assert out_file.read_bytes() == before
    assert os.listdir(tmp_path) == [out_file.name]


class StubLandmarker:
    """FaceLandmarker's interface without a model: one face per image, the 300W mean face
    in a 48 px box, shifted by the image's mean intensity (so images differ)."""
    num_keypoints = 68

    def __call__(self, image: np.ndarray) -> Faces:
        return self.landmarks(image, np.array([[8, 8, 56, 56]], np.float32))

    def landmarks(self, image: np.ndarray, boxes: np.ndarray) -> Faces:
        points = (MEANFACE * 48 + 8 + image.mean() / 64).astype(np.float32)
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        return Faces(boxes, np.ones(len(boxes), np.float32),
                     np.repeat(points[None], len(boxes), 0), np.ones((len(boxes), 68),
                                                                      np.float32))


def write_images(folder, count: int) -> None:
    folder.mkdir()
    for index in range(count):
        cv2.imwrite(str(folder / f'{index}.png'), np.full((64, 64, 3), 20 * index, np.uint8))


def test_cli_results_survive_a_full_disk(tmp_path, monkeypatch):
    """An image's <name>_landmarks.json keeps its previous content; a folder's .jsonl
    keeps its complete lines and --resume completes it as an uninterrupted run."""
    monkeypatch.setattr(landmarks_cli, 'FaceLandmarker', lambda *args: StubLandmarker())
    write_images(tmp_path / 'first', 1)
    write_images(tmp_path / 'photos', 6)
    out = tmp_path / 'out'
    landmarks_cli.main([str(tmp_path / 'first' / '0.png'), '--out-dir', str(out)])
    json_file = out / '0_landmarks.json'
    before = json_file.read_bytes()
    with monkeypatch.context() as patch:
        patch.setattr(files, 'open', FillingDisk(100), raising=False)
        with pytest.raises(SystemExit) as stop:
            landmarks_cli.main([str(tmp_path / 'photos' / '0.png'), '--out-dir', str(out)],
                               prog='pipnet-landmarks')
    assert str(stop.value.code) == (f'pipnet-landmarks: {json_file}: could not be written '
                                    f'({NO_SPACE})')
    assert json_file.read_bytes() == before and json.loads(before)['image'].endswith(
        'first/0.png')
    assert sorted(os.listdir(out)) == ['0_landmarks.jpg', '0_landmarks.json']

    straight, full = tmp_path / 'straight', tmp_path / 'full'
    landmarks_cli.main([str(tmp_path / 'photos'), '--out-dir', str(straight)])
    reference = (straight / 'photos_landmarks.jsonl').read_bytes()
    line = len(reference) // 6
    with monkeypatch.context() as patch:  # room for 2 and a half records
        patch.setattr(landmarks_cli, 'open', FillingDisk(line * 5 // 2), raising=False)
        with pytest.raises(SystemExit) as stop:
            landmarks_cli.main([str(tmp_path / 'photos'), '--out-dir', str(full)],
                               prog='pipnet-landmarks')
    jsonl = full / 'photos_landmarks.jsonl'
    assert str(stop.value.code) == (f'pipnet-landmarks: {jsonl}: could not be written '
                                    f'({NO_SPACE}); the images done are kept: --resume '
                                    f'continues')
    assert jsonl.read_bytes().count(b'\n') == 2
    landmarks_cli.main([str(tmp_path / 'photos'), '--out-dir', str(full), '--resume'])
    assert jsonl.read_bytes() == reference
    assert not [name for name in os.listdir(full) if '.tmp' in name or '.part' in name]


def test_test_tool_writes_its_metrics_atomically(tmp_path, monkeypatch):
    """tools/test.py --out (the runner stubbed: only the writing is under test)."""
    tool = load_tool('test.py')
    out_file = tmp_path / 'metrics.json'

    def test_tool(nme: float, out: str = str(out_file)) -> None:
        monkeypatch.setattr(tool, 'build_runner',
                            lambda cfg: types.SimpleNamespace(test=lambda: dict(NME=nme)))
        monkeypatch.setattr(sys, 'argv', [
            'test.py', f'{CONFIGS}/300w_mbv2.py', f'{REPO}/checkpoints/pipnet_mbv2_ytf68.pth',
            '--work-dir', str(tmp_path / 'work'), '--out', out])
        tool.main()

    test_tool(0.05)
    assert json.loads(out_file.read_text()) == dict(NME=0.05)
    with monkeypatch.context() as patch:
        patch.setattr(LocalBackend, 'put_text', half_then_no_space)
        with pytest.raises(SystemExit, match=f'^test: {out_file}: could not be written '
                                             rf'\({NO_SPACE}\)$'):
            test_tool(0.07)
    assert json.loads(out_file.read_text()) == dict(NME=0.05)
    assert os.listdir(tmp_path) == ['metrics.json']
    with pytest.raises(SystemExit, match=r'^test: --out x\.txt: expected a \.json, \.yaml, '
                                         r'\.yml, \.pkl or \.pickle file$'):
        test_tool(0.07, 'x.txt')
