"""Every zoo config builds, trains one iteration and validates on its dataset's fixture."""
import glob
import math
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from conftest import CONFIGS, FACE_SAMPLES

# config prefix -> fixture folder, json (ytf68 uses Face300WDataset: the 300W fixture)
FIXTURE_OF = {
    'wflw': ('wflw', 'test_wflw.json'),
    '300w': ('300w', 'test_300w.json'),
    'cofw': ('cofw', 'test_cofw.json'),
    'aflw': ('aflw', 'test_aflw.json'),
    'ytf68': ('300w', 'test_300w.json'),
}
ZOO = sorted(osp.relpath(p, CONFIGS) for p in glob.glob(f'{CONFIGS}/*.py') +
             glob.glob(f'{CONFIGS}/ytf68_recipe/*.py'))


def test_zoo_is_complete():
    expected = {f'{d}_{b}.py' for d in ('wflw', '300w', 'cofw', 'aflw')
                for b in ('res18', 'res50', 'res101', 'mbv2')}
    expected |= {f'wflw_res18_stride{s}.py' for s in (16, 64, 128)}
    expected |= {'ytf68_mbv2.py', 'ytf68_recipe/stage1_person.py',
                 'ytf68_recipe/stage2_person_noflip.py',
                 'ytf68_recipe/stage3_person_turned.py', 'ytf68_lite.py',
                 'ytf68_recipe/lite_stage1_person.py'}
    assert set(ZOO) == expected


@pytest.mark.parametrize('name', ZOO + sorted(
    osp.relpath(p, CONFIGS) for p in glob.glob(f'{CONFIGS}/stc/*.py')))
def test_no_config_loads_from_a_local_run(name):
    """Stages start from the previous stage's checkpoint given on the command line
    (ytf68_recipe/README.md), never from a path under work_dirs/."""
    assert not Config.fromfile(f'{CONFIGS}/{name}').get('load_from')


def leaf_datasets(dataset: dict) -> list:
    """The file-backed datasets inside a dataset config (through ``ConcatDataset``'s
    ``datasets`` and ``RepeatDataset``'s ``dataset``)."""
    if 'datasets' in dataset:
        return [leaf for inner in dataset['datasets'] for leaf in leaf_datasets(inner)]
    if 'dataset' in dataset:
        return leaf_datasets(dataset['dataset'])
    return [dataset]


def fixture_config(name: str, work_dir: str) -> Config:
    cfg = Config.fromfile(f'{CONFIGS}/{name}')
    folder, ann_file = FIXTURE_OF['ytf68' if name.startswith('ytf68') else name.split('_')[0]]
    cfg.work_dir = work_dir
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 1
    cfg.default_hooks.logger.interval = 1
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(batch_size=2, num_workers=0, persistent_workers=False)
        for dataset in leaf_datasets(cfg[loader].dataset):  # the default's mix: each part
            dataset.update(data_root=f'{FACE_SAMPLES}/{folder}', ann_file=ann_file,
                           data_prefix=dict(img=''))
    if cfg.model.backbone.type == 'ResNet':
        cfg.model.backbone.init_cfg = None  # tests stay offline
    return cfg


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize('name', ZOO)
def test_one_iteration_and_validation(name, tmp_path):
    runner = Runner.from_cfg(fixture_config(name, str(tmp_path)))
    runner.train()
    assert runner.iter >= 1
    assert glob.glob(f'{tmp_path}/best_NME_epoch_1.pth')  # validation produced an NME
    metrics = runner.test()
    for key in ('NME', 'FR@0.1', 'AUC@0.1'):
        assert math.isfinite(metrics[key]), (key, metrics)


@pytest.mark.shared_data
def test_dataset_head_keypoint_mismatch_fails_before_the_first_batch(tmp_path):
    cfg = fixture_config('wflw_res18.py', str(tmp_path))
    folder, ann_file = FIXTURE_OF['300w']  # 68 points into a 98-point head
    cfg.train_dataloader.dataset.update(type='Face300WDataset',
                                        data_root=f'{FACE_SAMPLES}/{folder}', ann_file=ann_file)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match='Face300WDataset has K=68 keypoints but the head '
                                         'num_keypoints=98'):
        runner.train()
    assert runner.iter == 0
