"""Pseudo-labels of self-training with curriculum (STC; PIPNet, Jin, Liao & Shao, IJCV 2021,
arXiv 2003.03771): written as MMPose-style COCO json, read back tagged with the round's
STC task."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmpose.structures import PoseDataSample
from torch.utils.data import ConcatDataset, Dataset

from ..utils.errors import InputError
from .converters import landmark_annotation, write_coco

#: STC tasks -> how many 2x2 max-pools of the head's feature map precede the score map
#: the pseudo-labelled sample supervises: ``'std'`` the plain task (every output at the
#: head's stride), ``'cls2'`` / ``'cls3'`` only the score map at stride x2 / x4.
STC_TASK_POOLS = {'std': 0, 'cls2': 1, 'cls3': 2}


def stc_task_pools(task: str) -> int:
    """The score-map pooling level of an STC task (:data:`STC_TASK_POOLS`); one-line
    error for another name."""
    if task not in STC_TASK_POOLS:
        raise InputError(f'STC: task {task!r}, expected one of {list(STC_TASK_POOLS)}')
    return STC_TASK_POOLS[task]


def tag_stc_task(data_sample: PoseDataSample, task: str) -> PoseDataSample:
    """Tag a packed sample with its STC task, in place.

    Sets ``gt_instance_labels.score_map_pools``, (N,) int64, the generic tensor
    :class:`PIPHead`'s loss reads (how many 2x2 max-pools precede the score map the
    sample supervises; 0 = every output at the head's stride), and the metainfo
    ``stc_task`` (for logs only).
    """
    labels = data_sample.gt_instance_labels
    labels.score_map_pools = torch.full((len(labels.keypoint_weights), ),
                                        stc_task_pools(task), dtype=torch.int64)
    data_sample.set_metainfo(dict(stc_task=task))
    return data_sample


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
            keep all, the default)

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


def pseudo_label_nme(pseudo_file: str, truth_file: str,
                     norm_indices: Sequence[int] = (36, 45)) -> Dict[str, float]:
    """How right a round's pseudo-labels are, where the pool's true landmarks are known.

    Each true face (COCO json, ``file_name`` relative to the pool folder like the
    pseudo-label json's) is matched to the pseudo-labelled face of the same image whose
    point centroid is nearest; its NME is the mean point distance over the distance
    between the true points ``norm_indices`` (inter-ocular by default, for 68 points).

    Returns:
        dict: ``pseudo_label_nme`` (mean over matched faces, a fraction; NaN if none),
        ``pseudo_label_faces`` (matched) and ``pseudo_label_missed`` (true faces with no
        pseudo-label in their image: not detected, or dropped by the score threshold)
    """
    def faces_by_image(path: str) -> Dict[str, List[np.ndarray]]:
        with open(path) as f:
            data = json.load(f)
        names = {image['id']: image['file_name'] for image in data['images']}
        faces: Dict[str, List[np.ndarray]] = {}
        for annotation in data['annotations']:
            points = np.asarray(annotation['keypoints'], np.float64).reshape(-1, 3)[:, :2]
            faces.setdefault(names[annotation['image_id']], []).append(points)
        return faces

    truth, pseudo = faces_by_image(truth_file), faces_by_image(pseudo_file)
    nmes, missed = [], 0
    for name, true_faces in truth.items():
        candidates = pseudo.get(name, [])
        for points in true_faces:
            if not candidates:
                missed += 1
                continue
            if any(p.shape != points.shape for p in candidates):
                raise InputError(f'pseudo_label_nme: {truth_file} and {pseudo_file} have '
                                 f'different numbers of points for {name}')
            centre = points.mean(0)
            best = min(candidates, key=lambda p: np.linalg.norm(p.mean(0) - centre))
            norm = np.linalg.norm(points[norm_indices[0]] - points[norm_indices[1]])
            nmes.append(np.linalg.norm(best - points, axis=1).mean() / max(norm, 1e-6))
    return dict(pseudo_label_nme=float(np.mean(nmes)) if nmes else float('nan'),
                pseudo_label_faces=len(nmes), pseudo_label_missed=missed)


class STCTaskDataset(Dataset):
    """A dataset whose samples are tagged with an STC task by :func:`tag_stc_task`: the
    score-map pooling level its loss supervises (``'std'``, ``'cls2'`` or ``'cls3'``).

    Args:
        dataset: a built MMPose dataset (e.g. the pseudo-labelled json)
        task: the STC task of every sample
    """

    def __init__(self, dataset: Dataset, task: str) -> None:
        stc_task_pools(task)
        self.dataset = dataset
        self.task = task

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx: int) -> dict:
        item = self.dataset[idx]
        tag_stc_task(item['data_samples'], self.task)
        return item


class LabelledAndPseudoLabelled(ConcatDataset):
    """The labelled dataset followed by pseudo-labelled ones, with the labelled dataset's
    ``metainfo`` (MMEngine stores it in checkpoints; the inferencer reads it back)."""

    @property
    def metainfo(self) -> dict:
        return self.datasets[0].metainfo
