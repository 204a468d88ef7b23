"""Self-training with curriculum (STC; PIPNet, Jin, Liao & Shao, IJCV 2021, arXiv 2003.03771)
as an MMEngine training loop."""
import copy
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.dist import barrier, collect_results, is_main_process
from mmengine.logging import print_log
from mmengine.model import BaseModule, is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop
from mmpose.registry import DATASETS, LOOPS
from torch.utils.data import DataLoader
from tqdm import tqdm

from ..datasets.pseudo_labels import (STC_TASK_POOLS, LabelledAndPseudoLabelled,
                                      STCTaskDataset, pseudo_label_nme, write_pseudo_labels)
from ..utils.errors import InputError
from ..utils.files import dump_json_atomically

#: PIPNet's STC curriculum: the score map max-pooled twice (2x2 on the 8x8 grid), then once
#: (4x4), then the full task three times.
DEFAULT_CURRICULUM = ('cls3', 'cls2', 'std', 'std', 'std')


@LOOPS.register_module()
class STCTrainLoop(EpochBasedTrainLoop):
    """Rounds of self-training with curriculum, in ``epochs_per_round`` epochs each.

    Round 0 trains on the labelled data (``train_dataloader``) only. Round r >= 1, with
    task ``curriculum[r - 1]``:

    1. pseudo-label the whole unlabelled pool with the newest model (merged NRM
       predictions) and write them to ``WORK_DIR/stc/round_{r}_pseudo_labels.json``
       (COCO, atomically; sharded over ranks under a distributed launcher and gathered);
    2. re-initialise the model (its ``init_cfg``: the ImageNet backbone), the optimizer
       and the LR schedule (``param_scheduler`` counts epochs from the round's start);
    3. train on the labelled data (task ``std``) plus the pseudo-labelled faces with the
       round's task (``cls3``: only the score map after two 2x2 max-pools; ``cls2``: after
       one; ``std``: everything), through the labelled dataset's class and pipeline;
    4. evaluate (``val_evaluator``), append the round to ``WORK_DIR/stc/rounds.json`` and
       save its model as ``WORK_DIR/stc/round_{r}.pth`` (weights only).

    The epoch counter runs across rounds, so MMEngine's checkpoints carry the round:
    ``tools/train.py --resume`` continues inside a round from its last epoch checkpoint, and
    at a round boundary re-uses that round's pseudo-label file if it was written.

    Args:
        runner: the MMEngine runner
        dataloader: the labelled ``train_dataloader`` config
        epochs_per_round: training epochs of every round (round 0 included)
        unlabeled_dataset: the pool, e.g. ``dict(type='UnlabeledFaceDataset', ...)``;
            ``metainfo`` defaults to the labelled dataset's, ``pipeline`` to the
            ``val_dataloader``'s
        curriculum: tasks of rounds 1, 2, ...: default ``('cls3', 'cls2', 'std', 'std',
            'std')``; STC without curriculum: ``('std',) * 3``
        pseudo_label_batch_size: faces per batch while pseudo-labelling
        pseudo_label_score_thr: drop faces whose mean keypoint score (raw score-map
            maximum) is below this; ``None`` (default) keeps all
        val_interval: epochs between evaluations; default: at each round's end
        round0_checkpoint: weights of a model already trained on the labelled data (e.g.
            a supervised run to convergence): round 0 is not trained but this model is
            loaded, evaluated and recorded as round 0, and pseudo-labels round 1
        pool_ann_file: the pool's true landmarks (COCO json, ``file_name`` relative to
            the pool folder), where they are known: each round records how right its
            pseudo-labels are (:func:`pseudo_label_nme`, normalised by the points
            ``pool_norm_indices``) in ``rounds.json``
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 epochs_per_round: int,
                 unlabeled_dataset: Dict,
                 curriculum: Sequence[str] = DEFAULT_CURRICULUM,
                 pseudo_label_batch_size: int = 32,
                 pseudo_label_score_thr: Optional[float] = None,
                 val_interval: Optional[int] = None,
                 round0_checkpoint: Optional[str] = None,
                 pool_ann_file: Optional[str] = None,
                 pool_norm_indices: Sequence[int] = (36, 45)) -> None:
        unknown = set(curriculum) - set(STC_TASK_POOLS)
        if unknown or not curriculum:
            raise InputError(f'STCTrainLoop: curriculum {list(curriculum)} must be a non-empty '
                             f'list of {list(STC_TASK_POOLS)}')
        if not isinstance(dataloader, dict) or 'pipeline' not in dataloader.get('dataset', {}):
            raise InputError('STCTrainLoop: train_dataloader must be a config whose dataset '
                             'has a type and a pipeline (the pseudo-labelled faces reuse both)')
        for name, path in (('round0_checkpoint', round0_checkpoint),
                           ('pool_ann_file', pool_ann_file)):
            if path is not None and not osp.isfile(path):
                raise InputError(f'STCTrainLoop: {name} {path} not found')
        self.round0_checkpoint = round0_checkpoint
        self.pool_ann_file = pool_ann_file
        self.pool_norm_indices = tuple(pool_norm_indices)
        self._labelled_loader_cfg = copy.deepcopy(dataloader)
        super().__init__(runner, dataloader,
                         max_epochs=epochs_per_round * (1 + len(curriculum)),
                         val_interval=val_interval or epochs_per_round)
        self.epochs_per_round = epochs_per_round
        self.tasks: List[str] = ['std', *curriculum]
        self.pseudo_label_batch_size = pseudo_label_batch_size
        self.pseudo_label_score_thr = pseudo_label_score_thr
        self.labelled_dataset = self.dataloader.dataset
        self.unlabeled_dataset = self._build_unlabeled(unlabeled_dataset)
        self.stc_dir = osp.join(runner.work_dir, 'stc')
        self._data_round = 0  # the round whose data self.dataloader holds

    @property
    def round(self) -> int:
        """The round the next epoch belongs to (0: labelled data only)."""
        return min(self._epoch // self.epochs_per_round, len(self.tasks) - 1)

    def _build_unlabeled(self, cfg: Dict):
        cfg = copy.deepcopy(cfg)
        # the labelled dataset's landmark set, as its config or class gives it
        cfg.setdefault('metainfo', self._labelled_loader_cfg['dataset'].get('metainfo') or
                       copy.deepcopy(getattr(type(self.labelled_dataset), 'METAINFO', None)))
        if 'pipeline' not in cfg:
            val_loader = self.runner.cfg.get('val_dataloader') or {}
            if 'pipeline' not in val_loader.get('dataset', {}):
                raise InputError('STCTrainLoop: give unlabeled_dataset a pipeline (there is '
                                 'no val_dataloader pipeline to borrow)')
            cfg['pipeline'] = copy.deepcopy(val_loader['dataset']['pipeline'])
        return DATASETS.build(cfg)

    def pseudo_label_file(self, round_idx: int) -> str:
        return osp.join(self.stc_dir, f'round_{round_idx}_pseudo_labels.json')

    def rounds_file(self) -> str:
        return osp.join(self.stc_dir, 'rounds.json')

    def read_rounds(self) -> List[Dict]:
        """The finished rounds: task, epochs, pseudo-labelled faces, metrics."""
        if not osp.isfile(self.rounds_file()):
            return []
        with open(self.rounds_file()) as f:
            return json.load(f)

    def run(self) -> torch.nn.Module:
        """Train every round (see the class doc); resumes where the checkpoint left off."""
        self.runner.call_hook('before_train')
        if self._epoch == 0 and self.round0_checkpoint is not None:
            self._load_round_zero()
        while self._epoch < self._max_epochs and not self.stop_training:
            round_idx = self.round
            if self._epoch % self.epochs_per_round == 0 and round_idx > 0:
                self._start_round(round_idx)
            elif self._data_round != round_idx:  # resumed inside a round
                self._use_round_data(round_idx)
            self.run_epoch()
            self._decide_current_val_interval()
            if self._epoch % self.epochs_per_round == 0:
                self._finish_round(round_idx)
            elif self.runner.val_loop is not None and self._epoch % self.val_interval == 0:
                self.runner.val_loop.run()
        self.runner.call_hook('after_train')
        return self.runner.model

    def _finish_round(self, round_idx: int) -> None:
        """Step 4: evaluate, record the round, save its weights."""
        metrics = self.runner.val_loop.run() if self.runner.val_loop is not None else {}
        self._record_round(round_idx, metrics)
        self.runner.save_checkpoint(
            self.stc_dir, f'round_{round_idx}.pth', save_optimizer=False,
            save_param_scheduler=False,
            meta=dict(epoch=self._epoch, iter=self._iter, stc_round=round_idx))

    def _load_round_zero(self) -> None:
        """Round 0 from ``round0_checkpoint``: loaded, evaluated, recorded, not trained."""
        print_log(f'STC round 0: the model of {self.round0_checkpoint} (not trained here)',
                  logger='current')
        self.runner.load_checkpoint(self.round0_checkpoint)
        self._epoch = self.epochs_per_round
        self._finish_round(0)

    def _start_round(self, round_idx: int) -> None:
        """Steps 1 and 2 of a round, then its data (step 3)."""
        if round_idx - 1 not in {r['round'] for r in self.read_rounds()}:
            # resumed from the previous round's last checkpoint before it was finished
            self._finish_round(round_idx - 1)
        print_log(f'STC round {round_idx}/{len(self.tasks) - 1}: task '
                  f'{self.tasks[round_idx]}', logger='current')
        if not osp.isfile(self.pseudo_label_file(round_idx)):
            self._pseudo_label(round_idx)
        else:
            print_log(f'STC: re-using {self.pseudo_label_file(round_idx)}', logger='current')
        self._reinitialise()
        self._use_round_data(round_idx)

    @torch.no_grad()
    def _pseudo_label(self, round_idx: int) -> None:
        """Predict the whole pool with the current model and write the round's json."""
        loader = self.runner.build_dataloader(dict(
            batch_size=self.pseudo_label_batch_size, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
            dataset=self.unlabeled_dataset))
        model = self.runner.model
        model.eval()
        records = []
        for batch in tqdm(loader, desc=f'STC pseudo-labels, round {round_idx}',
                          disable=not is_main_process()):
            for sample in model.test_step(batch):
                records.append(dict(img_path=sample.img_path, ori_shape=sample.ori_shape,
                                    keypoints=sample.pred_instances.keypoints[0],
                                    keypoint_scores=sample.pred_instances.keypoint_scores[0]))
        records = collect_results(records, len(self.unlabeled_dataset), device='cpu')
        if is_main_process():
            written = write_pseudo_labels(records, self.unlabeled_dataset.data_prefix['img'],
                                          self.pseudo_label_file(round_idx),
                                          self.pseudo_label_score_thr)
            print_log(f'STC: {written} of {len(records)} pool faces pseudo-labelled -> '
                      f'{self.pseudo_label_file(round_idx)}', logger='current')
        barrier()

    def _reinitialise(self) -> None:
        """Fresh weights (the model's init_cfg), optimizer and LR schedule for a round."""
        model = self.runner.model.module if is_model_wrapper(self.runner.model) \
            else self.runner.model
        for module in model.modules():
            if module is not model and hasattr(module, 'reset_parameters'):
                module.reset_parameters()  # what init_cfg leaves alone, e.g. BN statistics
            if isinstance(module, BaseModule):
                module._is_init = False  # MMEngine initialises a module only once
        self.runner._init_model_weights()  # init_weights, then broadcast from rank 0
        runner = self.runner
        runner.optim_wrapper = runner.build_optim_wrapper(copy.deepcopy(runner.cfg.optim_wrapper))
        runner.scale_lr(runner.optim_wrapper, runner.auto_scale_lr)
        if runner.cfg.get('param_scheduler') is not None:
            runner.param_schedulers = runner.build_param_scheduler(
                copy.deepcopy(runner.cfg.param_scheduler))

    def _use_round_data(self, round_idx: int) -> None:
        """Labelled data, plus from round 1 the round's pseudo-labels tagged with its task."""
        dataset = self.labelled_dataset
        if round_idx > 0:
            labelled_cfg = self._labelled_loader_cfg['dataset']
            pseudo = DATASETS.build(dict(
                type=labelled_cfg['type'], data_mode='topdown',
                ann_file=osp.abspath(self.pseudo_label_file(round_idx)), data_root=None,
                data_prefix=dict(img=self.unlabeled_dataset.data_prefix['img']),
                metainfo=labelled_cfg.get('metainfo'), pipeline=labelled_cfg['pipeline']))
            dataset = LabelledAndPseudoLabelled(
                [dataset, STCTaskDataset(pseudo, self.tasks[round_idx])])
        loader_cfg = copy.deepcopy(self._labelled_loader_cfg)
        loader_cfg['dataset'] = dataset
        self.dataloader = self.runner.build_dataloader(
            loader_cfg, seed=self.runner.seed,
            diff_rank_seed=self.runner._randomness_cfg.get('diff_rank_seed', False))
        self._data_round = round_idx
        self._max_iters = self._iter + (self._max_epochs - self._epoch) * len(self.dataloader)

    def _record_round(self, round_idx: int, metrics: Dict) -> None:
        """Append a finished round to ``stc/rounds.json`` (rank 0, atomically); every rank
        waits for it, so that all of them read the same rounds afterwards."""
        if is_main_process():
            self._write_round(round_idx, metrics)
        barrier()

    def _write_round(self, round_idx: int, metrics: Dict) -> None:
        rounds = [r for r in self.read_rounds() if r['round'] != round_idx]
        pseudo = 0
        if round_idx > 0:
            with open(self.pseudo_label_file(round_idx)) as f:
                pseudo = len(json.load(f)['annotations'])
        record = dict(round=round_idx, task=self.tasks[round_idx],
                      epochs=0 if round_idx == 0 and self.round0_checkpoint else
                      self.epochs_per_round, pseudo_labelled_faces=pseudo,
                      labelled_faces=len(self.labelled_dataset),
                      metrics={k: float(v) for k, v in metrics.items()})
        if round_idx > 0 and self.pool_ann_file is not None:
            record.update(pseudo_label_nme(self.pseudo_label_file(round_idx),
                                           self.pool_ann_file, self.pool_norm_indices))
        rounds.append(record)
        dump_json_atomically(sorted(rounds, key=lambda r: r['round']), self.rounds_file(),
                             indent=1)
