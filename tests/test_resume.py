"""Crash and resume: a run killed (SIGKILL) mid-epoch resumes to the same weights as an
uninterrupted run (PIPNetRunner + RNGStateHook); an empty or stale last_checkpoint."""
import json

import pytest
import torch

from conftest import CONFIGS, FACE_SAMPLES, train_in_subprocess
from mmpose_pipnet.engine import find_latest_checkpoint

RESUME_CONFIG = """
_base_ = ['{base}']
custom_imports = dict(imports=['mmpose_pipnet', 'training_probe'], allow_failed_imports=False)
custom_hooks = [dict(type='SyncBuffersHook'), dict(type='KeypointCountCheckHook'),
                dict(type='RNGStateHook'), dict(type='TrainingProbe')]
randomness = dict(seed=0)
train_cfg = dict(max_epochs=3, val_interval=100)
param_scheduler = [dict(type='MultiStepLR', begin=0, end=3, by_epoch=True, milestones=[2],
                        gamma=0.1)]
fixture = dict(data_root='{w300}', ann_file='test_300w.json', data_prefix=dict(img=''))
train_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                        dataset=fixture)
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=fixture)
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(max_keep_ckpts=5, save_best=None))
"""


@pytest.mark.slow
@pytest.mark.shared_data
def test_sigkill_mid_epoch_then_resume_equals_an_uninterrupted_run(tmp_path):
    """3 epochs of 2 iterations (300W fixture, batch 1, the paper's random augmentations,
    an LR drop after epoch 2). Killed after the first iteration of epoch 2, resumed: it
    restarts at iteration 2 from epoch_1.pth and ends with the uninterrupted run's weights,
    which needs model, Adam state, LR schedule and the generators' state."""
    config = tmp_path / 'resume.py'
    config.write_text(RESUME_CONFIG.format(base=f'{CONFIGS}/300w_mbv2.py',
                                           w300=f'{FACE_SAMPLES}/300w'))
    straight, killed = tmp_path / 'straight', tmp_path / 'killed'
    train_in_subprocess(config, straight)
    train_in_subprocess(config, killed, kill_at_iter=2)
    assert (killed / 'epoch_1.pth').is_file() and not (killed / 'epoch_2.pth').exists()
    log = train_in_subprocess(config, killed, resume=True)
    assert 'resumed epoch: 1, iter: 2' in log
    with open(killed / 'probe.jsonl') as f:
        assert [json.loads(line)['iter'] for line in f] == [0, 1, 2, 2, 3, 4, 5]
    final = [torch.load(run / 'epoch_3.pth', map_location='cpu', weights_only=False)
             for run in (straight, killed)]
    assert 'rng_state' in final[0]
    for key, value in final[0]['state_dict'].items():
        torch.testing.assert_close(final[1]['state_dict'][key], value, rtol=0, atol=1e-6,
                                   msg=key)
    lr = [f['optimizer']['param_groups'][0]['lr'] for f in final]
    assert lr[0] == lr[1] == pytest.approx(1e-5)


def test_resume_survives_an_empty_or_stale_last_checkpoint(tmp_path):
    for name in ('epoch_2.pth', 'epoch_10.pth', 'best_NME_epoch_2.pth'):
        (tmp_path / name).write_bytes(b'x')
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_10.pth')
    (tmp_path / 'last_checkpoint').write_text('')  # killed while writing it
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_10.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_11.pth'))  # missing
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_10.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_2.pth'))
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_2.pth')
    assert find_latest_checkpoint(str(tmp_path / 'nothing')) is None
