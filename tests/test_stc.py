"""Self-training with curriculum: the per-task loss masks, the unlabelled pool, the
pseudo-label files, and a tiny STC run killed between rounds and within a round."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmpose.datasets import Face300WDataset

from conftest import (CONFIGS, FACE_SAMPLES, REPO, build_head, samples_from,
                      train_in_subprocess)
from mmpose_pipnet.datasets import STCTaskDataset, UnlabeledFaceDataset, write_pseudo_labels
from mmpose_pipnet.datasets.pseudo_labels import tag_stc_task

W300 = f'{FACE_SAMPLES}/300w'
META = dict(from_file='configs/_base_/datasets/300w.py')


def with_tasks(samples, tasks):
    return [tag_stc_task(sample, task) for sample, task in zip(samples, tasks)]


def test_task_masks_hand_computed():
    """cls2/cls3 samples supervise only the max-pooled score map, through the same cls
    conv, at the coarse cell floor(x * W / 2**n); std samples everything else. The head
    reads only the generic ``score_map_pools`` tensor the STC tag writes."""
    torch.manual_seed(0)
    head = build_head(size=192)  # 6x6 grid; pooled 3x3 and 2x2 (ceil mode)
    feats = torch.randn(3, 8, 6, 6)
    rng = np.random.default_rng(1)
    labels = rng.uniform(0, 1, (3, 68, 2))
    labels[1, 0] = labels[2, 0] = [0.9, 0.6]
    samples = with_tasks(samples_from(labels, np.ones((3, 68))), ['std', 'cls2', 'cls3'])
    assert [s.gt_instance_labels.score_map_pools.tolist() for s in samples] == [[0], [1], [2]]
    losses = head.loss((feats, ), samples)
    assert set(losses) == {'loss_cls', 'loss_cls2', 'loss_cls3', 'loss_offset', 'loss_nb'}
    # std terms: exactly the plain loss of the std sample alone
    alone = head.loss((feats[:1], ), samples_from(labels[:1], np.ones((1, 68))))
    for key in alone:
        assert losses[key].item() == pytest.approx(alone[key].item(), rel=1e-6), key
    # cls2 by hand: one 2x2 max-pool (3x3 map), one-hot at floor(x * 3)
    for index, pools, grid in [(1, 1, 3), (2, 2, 2)]:
        pooled = feats[index:index + 1]
        for _ in range(pools):
            pooled = torch.nn.functional.max_pool2d(pooled, 2, ceil_mode=True)
        logits = head.cls_layer(pooled)[0].detach().numpy()  # (68, grid, grid)
        assert logits.shape[1:] == (grid, grid)
        cells = np.minimum(np.floor(labels[index] * 6 / 2 ** pools), grid - 1).astype(int)
        target = np.zeros_like(logits)
        target[np.arange(68), cells[:, 1], cells[:, 0]] = 1
        expected = 10 * ((logits - target) ** 2).mean()
        assert losses[f'loss_cls{pools + 1}'].item() == pytest.approx(expected, rel=1e-5)
    # literal cells of (x=0.9, y=0.6) = (173, 115) crop px: cls2 cells are 64 px, (2, 1) on
    # 3x3; cls3 cells 128 px, (1, 0) on 2x2 (the codec's cell maths, as the head uses it)
    point = torch.full((1, 68, 2), 0.5)
    point[0, 0] = torch.tensor([0.9, 0.6])
    for pools, cell in [(1, 1 * 3 + 2), (2, 0 * 2 + 1)]:
        coarse = head.decoder.grid_targets(point, torch.ones(1, 68), (6, 6), pools)
        assert coarse['cells'][0, 0].item() == cell
    # the coarse losses train the cls conv only, never the offset/neighbour convs
    head.zero_grad()
    (losses['loss_cls2'] + losses['loss_cls3']).backward()
    assert head.cls_layer.weight.grad.abs().sum() > 0
    for layer in (head.x_layer, head.y_layer, head.nb_x_layer, head.nb_y_layer):
        assert layer.weight.grad is None or layer.weight.grad.abs().sum() == 0


def test_coarse_samples_do_not_touch_the_std_terms():
    head = build_head(size=256)
    feats = (torch.randn(2, 8, 8, 8), )
    labels = np.random.default_rng(2).uniform(0, 1, (2, 68, 2))
    base = head.loss(feats, with_tasks(samples_from(labels, np.ones((2, 68))),
                                       ['std', 'cls3']))
    moved = labels.copy()
    moved[1] = 1 - moved[1]
    again = head.loss(feats, with_tasks(samples_from(moved, np.ones((2, 68))),
                                        ['std', 'cls3']))
    for key in ('loss_cls', 'loss_offset', 'loss_nb'):
        assert again[key].item() == pytest.approx(base[key].item(), rel=1e-6), key
    assert again['loss_cls3'].item() != pytest.approx(base['loss_cls3'].item())
    plain = head.loss(feats, samples_from(labels, np.ones((2, 68))))
    assert set(plain) == {'loss_cls', 'loss_offset', 'loss_nb'}
    with pytest.raises(ValueError, match="task 'x', expected one of"):
        with_tasks(samples_from(labels, np.ones((2, 68))), ['std', 'x'])
    bad = samples_from(labels, np.ones((2, 68)))
    bad[1].gt_instance_labels.score_map_pools = torch.tensor([-1])
    with pytest.raises(ValueError, match='score_map_pools must be integers >= 0'):
        head.loss(feats, bad)


def pool_folder(tmp_path, names=('300w/indoor_020.png', '300wlp/AFW_134212_1_0.jpg',
                                 '300wlp/AFW_134212_2_0.jpg')):
    folder = tmp_path / 'pool'
    folder.mkdir()
    for name in names:
        os.symlink(f'{FACE_SAMPLES}/{name}', folder / osp.basename(name))
    return folder


@pytest.mark.shared_data
def test_unlabeled_pool_boxes_detector_whole_image_and_bad_files(tmp_path):
    folder = pool_folder(tmp_path)
    (folder / 'empty.jpg').write_bytes(b'')  # unreadable: skipped with a count
    (folder / 'notes.txt').write_text('not an image')
    boxes = tmp_path / 'boxes.json'
    boxes.write_text(json.dumps({'indoor_020.png': [10, 20, 110, 140]}))
    pool = UnlabeledFaceDataset(data_prefix=dict(img=str(folder)), metainfo=META,
                                boxes_file=str(boxes), test_mode=True)
    by_name = {osp.basename(d['img_path']): d for d in pool}
    assert sorted(by_name) == ['AFW_134212_1_0.jpg', 'AFW_134212_2_0.jpg', 'indoor_020.png']
    np.testing.assert_allclose(by_name['indoor_020.png']['bbox'], [[10, 20, 110, 140]])
    # detector boxes on the 300W-LP faces: around the labelled landmarks
    with open(f'{FACE_SAMPLES}/300wlp/test_300wlp.json') as f:
        coco = json.load(f)
    for image in coco['images']:
        ann = next(a for a in coco['annotations'] if a['image_id'] == image['id'])
        points = np.array(ann['keypoints']).reshape(-1, 3)[:, :2]
        box = by_name[image['file_name']]['bbox'][0]
        centre = (box[:2] + box[2:]) / 2
        side = np.sqrt(np.prod(box[2:] - box[:2]))
        extent = np.ptp(points, 0).max()
        assert np.abs(centre - (points.min(0) + points.max(0)) / 2).max() < 0.2 * extent
        assert 0.7 < side / extent < 1.4
    whole = UnlabeledFaceDataset(data_prefix=dict(img=str(folder)), metainfo=META,
                                 box_source='whole_image')
    for info in whole:
        height, width = info['img_shape']
        np.testing.assert_allclose(info['bbox'], [[0, 0, width, height]])
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match='unlabelled pool is empty'):
        UnlabeledFaceDataset(data_prefix=dict(img=str(empty)), metainfo=META)
    with pytest.raises(FileNotFoundError, match='not found'):
        UnlabeledFaceDataset(data_prefix=dict(img=str(tmp_path / 'nope')), metainfo=META)
    with pytest.raises(ValueError, match='metainfo'):
        UnlabeledFaceDataset(data_prefix=dict(img=str(folder)))


@pytest.mark.shared_data
def test_pseudo_labels_read_back_like_labelled_data(tmp_path):
    """Predictions -> json -> Face300WDataset: the points come back, boxed by their tight
    square as the labelled converter does, and tagged with the round's task."""
    with open(f'{W300}/test_300w.json') as f:
        coco = json.load(f)
    records = []
    for image in coco['images']:
        ann = next(a for a in coco['annotations'] if a['image_id'] == image['id'])
        points = np.array(ann['keypoints']).reshape(-1, 3)[:, :2]
        records.append(dict(img_path=f'{W300}/{image["file_name"]}',
                            ori_shape=(image['height'], image['width']), keypoints=points,
                            keypoint_scores=np.full(68, 0.9 if len(records) else 0.2)))
    out = tmp_path / 'round_1.json'
    assert write_pseudo_labels(records, W300, str(out)) == 2
    assert not [p for p in os.listdir(tmp_path) if '.tmp' in p]
    dataset = Face300WDataset(ann_file=str(out), data_prefix=dict(img=W300 + '/'),
                              pipeline=[dict(type='LoadImage'),
                                        dict(type='GetBBoxCenterScale'),
                                        dict(type='TopdownAffine', input_size=(192, 192)),
                                        dict(type='GenerateTarget',
                                             encoder=dict(type='PIPLabel',
                                                          input_size=(192, 192))),
                                        dict(type='PackPoseInputs')])
    assert len(dataset) == 2 and dataset[0]['data_samples'].gt_instance_labels
    for index, record in enumerate(records):
        info = dataset.get_data_info(index)
        np.testing.assert_allclose(info['keypoints'][0], record['keypoints'], atol=1e-3)
        box = info['bbox'][0]
        extent = np.ptp(record['keypoints'], 0).max()
        assert box[2] - box[0] == pytest.approx(extent, rel=1e-4)
    tagged = STCTaskDataset(dataset, 'cls3')
    assert tagged[0]['data_samples'].metainfo['stc_task'] == 'cls3'
    assert tagged[0]['data_samples'].gt_instance_labels.score_map_pools.tolist() == [2]
    assert len(tagged) == 2 and tagged.metainfo['num_keypoints'] == 68
    # a mixed batch through collate and MMPose's data preprocessor: the untagged sample
    # is level 0, the tagged one reaches the head's loss as the x4-pooled score map only
    from mmengine.dataset import pseudo_collate
    from mmpose.registry import MODELS
    preprocessor = MODELS.build(dict(type='PoseDataPreprocessor'))
    batch = preprocessor(pseudo_collate([dataset[1], tagged[0]]), True)
    losses = build_head(size=192).loss((torch.randn(2, 8, 6, 6), ), batch['data_samples'])
    assert set(losses) == {'loss_cls', 'loss_cls3', 'loss_offset', 'loss_nb'}
    with pytest.raises(ValueError, match='task'):
        STCTaskDataset(dataset, 'cls4')
    # the optional confidence filter keeps the confident face only
    assert write_pseudo_labels(records, W300, str(out), score_thr=0.5) == 1


TINY_CONFIG = """
_base_ = ['{base}']
custom_imports = dict(imports=['mmpose_pipnet', 'training_probe'], allow_failed_imports=False)
custom_hooks = [dict(type='TrainingProbe')]
default_hooks = dict(logger=dict(interval=1))
train_cfg = dict(epochs_per_round=2, curriculum=['cls3', 'cls2'], pseudo_label_batch_size=2,
                 unlabeled_dataset=dict(data_root='{pool_root}', data_prefix=dict(img='pool/')),
                 round0_checkpoint=None, pool_ann_file=None, val_interval=None)
fixture = dict(data_root='{w300}', ann_file='test_300w.json', data_prefix=dict(img=''))
train_dataloader = dict(batch_size=2, dataset=fixture)
val_dataloader = dict(batch_size=2, dataset=fixture)
test_dataloader = val_dataloader
"""


@pytest.mark.slow
@pytest.mark.shared_data
def test_tiny_stc_run_survives_kills_between_and_within_rounds(tmp_path):
    """2 rounds (cls3, cls2) of 2 epochs on the 300W fixture + 3 unlabelled fixture faces.
    Killed (SIGKILL) after round 0's last epoch was checkpointed but before its evaluation;
    resumed (round 0 is evaluated and saved first) and killed after round 1's pseudo-labels
    were written; resumed, killed again in round 1's second epoch; resumed to the end:
    every epoch ran exactly once, in the curriculum's order, and round 1's pseudo-labels
    were re-used, not redone."""
    pool_folder(tmp_path)
    config = tmp_path / 'tiny_stc.py'
    config.write_text(TINY_CONFIG.format(base=f'{CONFIGS}/stc/ytf68_mbv2_stc.py',
                                         pool_root=tmp_path, w300=W300))
    work = tmp_path / 'work'
    stc = work / 'stc'
    train_in_subprocess(config, work, kill_after_epoch=2)  # round 0 trained, not finished
    assert (work / 'epoch_2.pth').is_file() and not stc.exists()
    log = train_in_subprocess(config, work, kill_at_epoch=2, resume=True)
    assert (stc / 'round_0.pth').is_file() and 'Epoch(val)' in log
    round1 = stc / 'round_1_pseudo_labels.json'  # round 1 set up, no step yet
    assert round1.is_file() and not (stc / 'round_2_pseudo_labels.json').exists()
    written_at = round1.stat().st_mtime_ns
    log = train_in_subprocess(config, work, kill_at_epoch=3, resume=True)  # inside round 1
    assert 're-using' in log and 'round_1_pseudo_labels.json' in log
    log = train_in_subprocess(config, work, resume=True)
    assert 'STC round 1' not in log and 'STC round 2/2: task cls2' in log
    assert round1.stat().st_mtime_ns == written_at

    with open(work / 'probe.jsonl') as f:
        probe = [json.loads(line) for line in f]
    epochs = [p['epoch'] for p in probe]
    assert epochs == sorted(epochs) and sorted(set(epochs)) == list(range(6))
    assert len([p for p in probe if p['epoch'] == 0]) == 1  # round 0 ran once: 1 batch
    tasks = {e: set().union(*(p['tasks'] for p in probe if p['epoch'] == e))
             for e in range(6)}
    assert tasks[0] == tasks[1] == {'std'}
    assert tasks[2] == tasks[3] == {'std', 'cls3'}
    assert tasks[4] == tasks[5] == {'std', 'cls2'}
    for p in probe:
        assert ('loss_cls3' in p['losses']) == ('cls3' in p['tasks'])
        assert ('loss_cls2' in p['losses']) == ('cls2' in p['tasks'])

    with open(stc / 'rounds.json') as f:
        rounds = json.load(f)
    assert [(r['round'], r['task']) for r in rounds] == [(0, 'std'), (1, 'cls3'),
                                                         (2, 'cls2')]
    assert all(np.isfinite(r['metrics']['NME']) for r in rounds)
    assert [r['pseudo_labelled_faces'] for r in rounds] == [0, 3, 3]
    for round_idx in (1, 2):
        with open(stc / f'round_{round_idx}_pseudo_labels.json') as f:
            coco = json.load(f)
        assert {i['file_name'] for i in coco['images']} == {
            'indoor_020.png', 'AFW_134212_1_0.jpg', 'AFW_134212_2_0.jpg'}
        for ann in coco['annotations']:
            assert len(ann['keypoints']) == 68 * 3 and len(ann['keypoint_scores']) == 68
            assert np.isfinite(ann['keypoints']).all()
    for round_idx in range(3):
        checkpoint = torch.load(stc / f'round_{round_idx}.pth', map_location='cpu',
                                weights_only=False)
        assert checkpoint['meta']['stc_round'] == round_idx
        assert checkpoint['meta']['dataset_meta']['num_keypoints'] == 68


@pytest.mark.slow
@pytest.mark.shared_data
def test_distributed_pseudo_labels_are_gathered_in_order(tmp_path):
    """2 CPU processes (gloo) through tools/dist_train.sh, 3 pool faces sharded 2 + 1: the
    round-1 pseudo-label file holds every face once, equal to what the round-0 model
    predicts for it in a single process."""
    import subprocess
    import sys

    from mmengine.dataset import pseudo_collate
    from mmpose.apis import init_model


    pool_folder(tmp_path)
    config = tmp_path / 'dist_stc.py'
    config.write_text(TINY_CONFIG.format(base=f'{CONFIGS}/stc/ytf68_mbv2_stc.py',
                                         pool_root=tmp_path, w300=W300)
                      .replace(", 'training_probe'", '')
                      .replace("custom_hooks = [dict(type='TrainingProbe')]", '')
                      .replace("curriculum=['cls3', 'cls2']", "curriculum=['cls3']")
                      .replace('epochs_per_round=2', 'epochs_per_round=1')
                      .replace('batch_size=2, dataset=fixture)', 'batch_size=1, dataset=fixture)'))
    work = tmp_path / 'work'
    env = dict(os.environ, PYTHON=sys.executable, PORT='29631')
    run = subprocess.run(['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir',
                          str(work)], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    with open(work / 'stc' / 'round_1_pseudo_labels.json') as f:
        coco = json.load(f)
    names = {i['id']: i['file_name'] for i in coco['images']}
    gathered = {names[a['image_id']]: np.array(a['keypoints']).reshape(-1, 3)[:, :2]
                for a in coco['annotations']}
    assert len(coco['annotations']) == 3 and len(gathered) == 3

    model = init_model(str(config), str(work / 'stc' / 'round_0.pth'), device='cpu')
    pool = UnlabeledFaceDataset(data_prefix=dict(img=str(tmp_path / 'pool')),
                                metainfo=META, pipeline=model.cfg.val_dataloader.dataset.pipeline)
    for index in range(len(pool)):
        sample = model.test_step(pseudo_collate([pool[index]]))[0]
        name = osp.basename(sample.img_path)
        np.testing.assert_allclose(gathered[name], sample.pred_instances.keypoints[0],
                                   atol=2e-3)


def test_stc_report_table_bootstrap_and_errors(tmp_path):
    from conftest import load_tool
    report = load_tool('analysis/stc_report.py')
    from mmpose_pipnet.utils import InputError
    rows = [dict(label='supervised', metrics={'a/held.json': dict(
        NME=0.0512, **{'FR@0.1': 0.004, 'AUC@0.1': 0.4871})}),
        dict(label='STC round 1 (cls3)', arm='STC', round=1, pseudo_labelled_faces=1026,
             pseudo_label_nme=0.0511, metrics={
                 'a/held.json': dict(NME=0.04, **{'FR@0.1': 0.0, 'AUC@0.1': 0.6})},
             vs=dict(diff=-1.12, low=-1.5, high=-0.75, better_people=60, people=70,
                     baseline='supervised'))]
    assert report.markdown_table(rows, ['a/held.json']).splitlines() == [
        '| model | pseudo-labelled faces | pseudo-label NME (%) | held NME (%) | '
        'held FR@0.1 (%) | held AUC@0.1 | held vs supervised (points, 95% over people) '
        '| people better |',
        '|---|---|---|---|---|---|---|---|',
        '| supervised | 0 | - | 5.12 | 0.40 | 0.4871 | - | - |',
        '| STC round 1 (cls3) | 1026 | 5.11 | 4.00 | 0.00 | 0.6000 | -1.12 (-1.50..-0.75) '
        '| 60 of 70 |']
    report.plot_rounds(rows, ['a/held.json'], str(tmp_path / 'rounds.png'))
    assert (tmp_path / 'rounds.png').stat().st_size > 1000
    # Two people: A 0.06 -> 0.05 on both faces, B unchanged; the mean over the 3 faces
    # falls 0.667 points; resampled people give AA -1.0, AB -0.667, BB 0.
    change = report.person_bootstrap(np.array([0.05, 0.05, 0.04]),
                                     np.array([0.06, 0.06, 0.04]), ['A', 'A', 'B'])
    assert change['diff'] == pytest.approx(-2 / 3)
    assert (change['low'], change['high']) == (pytest.approx(-1.0), pytest.approx(0.0))
    assert (change['better_people'], change['people']) == (1, 2)
    with pytest.raises(InputError, match='rounds.json not found'):
        report.stc_rows(f'{CONFIGS}/stc/ytf68_mbv2_stc.py', [('STC', str(tmp_path))],
                        ['x.json'])
    with pytest.raises(InputError, match='not a --baseline label'):
        report.stc_rows(f'{CONFIGS}/stc/ytf68_mbv2_stc.py', [], ['x.json'],
                        [('supervised', 'x.pth')], compare_to='oracle')


def test_ytf68_stc_experiment_configs():
    """The arms share data, model and evaluation; STC's round 0 is the supervised arm's
    shipped model; a round's iterations (12 epochs of 413 labelled + 3489 pool faces,
    batch 16) are about those at which the supervised arm converged (120 x 26)."""
    from mmengine.config import Config
    stc = Config.fromfile(f'{CONFIGS}/stc/ytf68_mbv2_stc.py')
    supervised = Config.fromfile(f'{CONFIGS}/stc/ytf68_mbv2_supervised.py')
    assert stc.train_cfg.type == 'STCTrainLoop'
    assert list(stc.train_cfg.curriculum) == ['cls3', 'cls2', 'std', 'std', 'std']
    assert stc.train_cfg.round0_checkpoint == 'checkpoints/stc/ytf68_mbv2_supervised.pth'
    assert osp.isfile(osp.join(REPO, stc.train_cfg.round0_checkpoint))
    assert stc.train_cfg.unlabeled_dataset.data_prefix.img == 'ytf68_stc/pool/'
    plain = Config.fromfile(f'{CONFIGS}/stc/ytf68_mbv2_stc_no_curriculum.py')
    assert list(plain.train_cfg.curriculum) == ['std'] * 3
    assert plain.train_cfg.unlabeled_dataset == stc.train_cfg.unlabeled_dataset
    assert plain.train_cfg.round0_checkpoint == stc.train_cfg.round0_checkpoint
    for key in ('train_dataloader', 'val_dataloader'):
        assert stc[key].dataset.ann_file == supervised[key].dataset.ann_file
    assert stc.model == supervised.model
    stc_round = stc.train_cfg.epochs_per_round * -(-(413 + 3489) // 16)
    supervised_iters = supervised.train_cfg.max_epochs * -(-413 // 16)
    assert abs(stc_round - supervised_iters) <= 0.1 * supervised_iters


@pytest.mark.shared_data
def test_round_start_reinitialises_model_optimizer_and_schedule(tmp_path):
    """Step 2 of a round: the weights go back to their initialisation (ImageNet backbone,
    head normal(0.001)), Adam forgets its moments, the LR schedule starts again."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    pool_folder(tmp_path)
    config = tmp_path / 'tiny_stc.py'
    config.write_text(TINY_CONFIG.format(base=f'{CONFIGS}/stc/ytf68_mbv2_stc.py',
                                         pool_root=tmp_path, w300=W300))
    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    loop = runner.train_loop
    runner._init_model_weights()
    initial = {k: v.clone() for k, v in runner.model.state_dict().items()}
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.param_schedulers = runner.build_param_scheduler(runner.param_schedulers)
    # train a little away from the initialisation, and move the schedule on
    batch = next(iter(loop.dataloader))
    for _ in range(2):
        runner.model.train_step(batch, optim_wrapper=runner.optim_wrapper)
    for scheduler in runner.param_schedulers:
        for _ in range(max(scheduler.milestones)):  # past both decays
            scheduler.step()
    assert runner.optim_wrapper.get_lr()['lr'][0] == pytest.approx(1e-6)
    moved = runner.model.state_dict()
    assert not torch.equal(moved['backbone.conv1.conv.weight'],
                           initial['backbone.conv1.conv.weight'])

    loop._reinitialise()
    state = runner.model.state_dict()
    for key, value in initial.items():
        if key.startswith('backbone.') and value.is_floating_point():
            torch.testing.assert_close(state[key], value, msg=key)  # the ImageNet weights
    head = runner.model.head
    for layer in (head.cls_layer, head.x_layer, head.nb_x_layer):
        assert layer.weight.std().item() == pytest.approx(0.001, rel=0.2)
        assert layer.bias.abs().max().item() == 0
    assert not runner.optim_wrapper.optimizer.state
    assert runner.optim_wrapper.get_lr()['lr'][0] == pytest.approx(1e-4)
    assert all(s.last_step == 0 for s in runner.param_schedulers)


def test_pseudo_label_nme_matches_faces_by_image_and_centroid(tmp_path):
    from mmpose_pipnet.datasets.converters import landmark_annotation, write_coco
    from mmpose_pipnet.datasets.pseudo_labels import pseudo_label_nme
    rng = np.random.default_rng(0)
    face = rng.uniform(0, 100, (68, 2))
    face[36], face[45] = (20, 40), (70, 40)  # inter-ocular distance 50 px
    images = [dict(id=1, file_name='a.jpg', width=200, height=200),
              dict(id=2, file_name='b.jpg', width=200, height=200)]
    truth, pseudo = tmp_path / 'truth.json', tmp_path / 'pseudo.json'
    write_coco(images, [landmark_annotation(face, 1), landmark_annotation(face, 2)],
               str(truth))
    decoy = landmark_annotation(face + 500, 1)  # another face of a.jpg, far away
    decoy['id'] = 2
    write_coco(images[:1], [landmark_annotation(face + [5, 0], 1), decoy], str(pseudo))
    out = pseudo_label_nme(str(pseudo), str(truth))
    assert out == dict(pseudo_label_nme=pytest.approx(5 / 50), pseudo_label_faces=1,
                       pseudo_label_missed=1)  # b.jpg has no pseudo-label


@pytest.mark.slow
@pytest.mark.shared_data
def test_stc_from_a_trained_round_zero_records_pseudo_label_accuracy(tmp_path):
    """round0_checkpoint: round 0 is the shipped person model, evaluated and recorded but
    not trained (no epoch of round 0 runs); pool_ann_file: round 1 records how far its
    pseudo-labels are from the pool's true landmarks (the 300W-LP fixture faces)."""
    pool_folder(tmp_path)
    with open(f'{FACE_SAMPLES}/300wlp/test_300wlp.json') as f:
        data = json.load(f)
    for image in data['images']:
        image['file_name'] = osp.basename(image['file_name'])
    truth = tmp_path / 'pool_truth.json'
    truth.write_text(json.dumps(data))
    config = tmp_path / 'tiny_stc.py'
    config.write_text(TINY_CONFIG.format(base=f'{CONFIGS}/stc/ytf68_mbv2_stc.py',
                                         pool_root=tmp_path, w300=W300) +
                      f"train_cfg.update(curriculum=['cls3'], round0_checkpoint="
                      f"'{REPO}/checkpoints/pipnet_mbv2_ytf68_person.pth', "
                      f"pool_ann_file='{truth}')\n")
    work = tmp_path / 'work'
    train_in_subprocess(config, work)
    with open(work / 'probe.jsonl') as f:
        assert sorted({json.loads(line)['epoch'] for line in f}) == [2, 3]  # round 1 only
    with open(work / 'stc' / 'rounds.json') as f:
        rounds = json.load(f)
    assert [(r['round'], r['epochs']) for r in rounds] == [(0, 0), (1, 2)]
    assert rounds[0]['metrics']['NME'] < 0.1  # the trained model, not a fresh one
    assert rounds[1]['pseudo_label_faces'] == 2 and rounds[1]['pseudo_label_missed'] == 0
    assert rounds[1]['pseudo_label_nme'] < 0.1
