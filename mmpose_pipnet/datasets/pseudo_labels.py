"""Pseudo-labels of self-training: written as MMPose-style COCO json, read back tagged with
the round's STC task."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from torch.utils.data import ConcatDataset, Dataset

from ..utils.errors import InputError
from .converters import landmark_annotation, write_coco


def write_pseudo_labels(records: Sequence[Dict], image_folder: str, out_file: str,
                        score_thr: Optional[float] = None) -> int:
    """Write predicted landmarks as a COCO face json (atomically), boxed like the labelled
    data (the points' tight square; ``GetBBoxCenterScale`` pads it x1.25).

    Args:
        records: one per face: ``img_path`` (str), ``ori_shape`` (H, W), ``keypoints``
            (K, 2) image pixels, ``keypoint_scores`` (K,) raw score-map maxima
        image_folder: the pool's folder; ``file_name`` is relative to it
        out_file: the json to write
        score_thr: keep only faces whose mean keypoint score is at least this (``None``:
            keep all, the reference's choice)

    Returns:
        int: the number of faces written
    """
    images: Dict[str, Dict] = {}
    annotations: List[Dict] = []
    for record in records:
        keypoints = np.asarray(record['keypoints'], np.float64)
        scores = np.asarray(record['keypoint_scores'], np.float64)
        if score_thr is not None and scores.mean() < score_thr:
            continue
        if not np.isfinite(keypoints).all():
            continue
        name = osp.relpath(record['img_path'], image_folder)
        if name not in images:
            height, width = record['ori_shape']
            images[name] = dict(id=len(images) + 1, file_name=name, width=int(width),
                                height=int(height))
        annotation = landmark_annotation(keypoints, images[name]['id'])
        annotation.update(id=len(annotations) + 1,
                          keypoint_scores=scores.round(4).tolist())
        annotations.append(annotation)
    write_coco(list(images.values()), annotations, out_file)
    return len(annotations)


class STCTaskDataset(Dataset):
    """A dataset whose samples carry the STC task in their metainfo (``stc_task``), which
    :class:`PIPHead`'s loss reads: ``'std'``, ``'cls2'`` or ``'cls3'``.

    Args:
        dataset: a built MMPose dataset (e.g. the pseudo-labelled json)
        task: the STC task of every sample
    """

    def __init__(self, dataset: Dataset, task: str) -> None:
        from ..models.heads.pip_head import STC_TASK_POOLS
        if task not in STC_TASK_POOLS:
            raise InputError(f'STCTaskDataset: task {task!r}, expected one of '
                             f'{list(STC_TASK_POOLS)}')
        self.dataset = dataset
        self.task = task

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx: int) -> dict:
        item = self.dataset[idx]
        item['data_samples'].set_metainfo(dict(stc_task=self.task))
        return item


class LabelledAndPseudoLabelled(ConcatDataset):
    """The labelled dataset followed by pseudo-labelled ones, with the labelled dataset's
    ``metainfo`` (MMEngine stores it in checkpoints; the inferencer reads it back)."""

    @property
    def metainfo(self) -> dict:
        return self.datasets[0].metainfo
