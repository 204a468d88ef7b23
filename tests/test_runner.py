"""PIPNetRunner: checkpoints as plain data (weights-only loadable, no extra globals),
atomic writes that survive a failed save, and the data-path check."""
import collections
import errno

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.fileio.backends import LocalBackend
from mmengine.logging import HistoryBuffer
from torch.serialization import get_unsafe_globals_in_checkpoint

from conftest import CONFIGS, FACE_SAMPLES, load_tool
from mmpose_pipnet.engine import PIPNetRunner, build_runner
from mmpose_pipnet.engine.runner import from_plain, to_plain
from mmpose_pipnet.utils import InputError


def test_plain_round_trip_keeps_types_and_values():
    buffer = HistoryBuffer([0.5, 0.25], [1, 2], max_length=10)
    value = dict(array=np.arange(6, dtype=np.uint32).reshape(2, 3), scalar=np.float64(1.5),
                 milestones=collections.Counter({20: 1, 25: 1}),
                 ordered=collections.OrderedDict(a=torch.ones(2)), rng=('MT19937', np.ones(3)),
                 buffer=buffer, text='x', empty=[])
    plain = to_plain(value)
    assert isinstance(plain['milestones'], collections.Counter)
    assert plain['milestones'] == {20: 1, 25: 1}
    assert plain['ordered']['a'] is value['ordered']['a']  # tensors untouched
    assert plain['scalar'] == 1.5 and type(plain['scalar']) is float
    back = from_plain(plain)
    assert back['array'].dtype == np.uint32 and back['array'].tolist() == [[0, 1, 2],
                                                                          [3, 4, 5]]
    assert isinstance(back['rng'], tuple) and back['rng'][1].tolist() == [1, 1, 1]
    assert isinstance(back['buffer'], HistoryBuffer)
    assert back['buffer'].mean() == buffer.mean() and back['buffer'].max_length == 10
    assert back['milestones'] == value['milestones']


def fixture_runner(work_dir) -> PIPNetRunner:
    cfg = Config.fromfile(f'{CONFIGS}/300w_mbv2.py')
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_epochs = 1
    cfg.default_hooks.checkpoint.save_best = None
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(batch_size=2, num_workers=0, persistent_workers=False)
        cfg[loader].dataset.update(data_root=f'{FACE_SAMPLES}/300w', ann_file='test_300w.json',
                                   data_prefix=dict(img=''))
    runner = build_runner(cfg)
    assert isinstance(runner, PIPNetRunner)
    return runner


@pytest.mark.shared_data
def test_training_checkpoints_load_weights_only_and_a_failed_save_keeps_the_old_one(
        tmp_path, monkeypatch):
    runner = fixture_runner(tmp_path)
    runner.train()  # one epoch -> epoch_1.pth through CheckpointHook
    saved = tmp_path / 'epoch_1.pth'
    assert get_unsafe_globals_in_checkpoint(str(saved)) == []
    checkpoint = torch.load(saved, map_location='cpu', weights_only=True)
    assert {'meta', 'state_dict', 'message_hub', 'optimizer', 'rng_state'} <= set(checkpoint)
    old_bytes = saved.read_bytes()

    def disk_full(self, obj: bytes, filepath) -> None:
        with open(filepath, 'wb') as f:
            f.write(obj[:len(obj) // 2])
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(LocalBackend, 'put', disk_full)
    with pytest.raises(OSError, match='No space left'):
        runner.save_checkpoint(str(tmp_path), 'epoch_1.pth')
    assert saved.read_bytes() == old_bytes  # the previous checkpoint is whole
    assert not [p.name for p in tmp_path.iterdir() if '.tmp' in p.name]
    monkeypatch.undo()
    resumed = fixture_runner(tmp_path / 'resumed')
    resumed.resume(str(saved))  # plain data back to numpy / HistoryBuffer for MMEngine
    assert resumed.epoch == 1
    assert isinstance(resumed.message_hub.get_scalar('train/loss'), HistoryBuffer)

    # the release checkpoint of it: weights only, float16, metainfo as plain lists
    publish = load_tool('publish_model.py')
    release = tmp_path / 'release.pth'
    publish.publish_checkpoint(str(saved), str(release))
    assert get_unsafe_globals_in_checkpoint(str(release)) == []
    from mmpose.apis import init_model
    model = init_model(f'{CONFIGS}/300w_mbv2.py', str(release), device='cpu')
    assert model.dataset_meta['num_keypoints'] == 68
    legacy = tmp_path / 'legacy.pth'  # a checkpoint of a run before PIPNetRunner
    torch.save(dict(state_dict={}, meta=dict(dataset_meta=dict(sigmas=np.ones(2)))), legacy)
    with pytest.raises(InputError, match='legacy.pth: holds pickled objects .* add '
                                         '--trust-pickle'):
        publish.publish_checkpoint(str(legacy), str(tmp_path / 'x.pth'))
    publish.publish_checkpoint(str(legacy), str(tmp_path / 'x.pth'), trust_pickle=True)
    assert torch.load(tmp_path / 'x.pth', weights_only=True)['meta']['dataset_meta'] == \
        dict(sigmas=[1.0, 1.0])


@pytest.mark.shared_data
def test_missing_data_is_one_line_before_building(tmp_path):
    runner = fixture_runner(tmp_path)
    runner._test_dataloader['dataset']['ann_file'] = 'missing.json'
    with pytest.raises(InputError, match='test_dataloader.dataset.ann_file: .*missing.json '
                                         'not found'):
        runner.test()
