"""NME (MMPose's) plus the failure rate and the area under the cumulative error curve."""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import MMLogger
from mmpose.evaluation.functional.keypoint_eval import _calc_distances
from mmpose.evaluation.metrics import NME
from mmpose.registry import METRICS
from scipy.integrate import simpson

from ...apis.head_pose import NUM_POINTS, estimate_head_pose
from ...utils.errors import InputError
from ...utils.files import dump_json_atomically


def failure_rate_and_auc(nmes: np.ndarray, threshold: float = 0.1,
                         step: float = 1e-4) -> Tuple[float, float]:
    """FR@thr (share of faces with NME > thr) and AUC@thr (area under the cumulative
    error curve on [0, thr], Simpson's rule on a ``step`` grid, divided by thr), as the
    reference computes them. ``nmes``: (N,) per-face NME (normalised, not %)."""
    nmes = np.sort(np.asarray(nmes, dtype=np.float64))
    xs = np.arange(0, threshold + step, step)
    ys = np.searchsorted(nmes, xs, side='right') / len(nmes)  # share with NME <= x
    return float(1.0 - ys[-1]), float(simpson(ys, x=xs) / threshold)


def landmark_biases(signed: np.ndarray, mask: np.ndarray,
                    flip_indices: Optional[Sequence[int]] = None) -> Dict[str, float]:
    """Systematic error per landmark, and the part of it a mirror-symmetric model cannot
    produce.

    A model trained with horizontal flips is pushed towards mirror symmetry: its mean
    error ``b`` (K, 2) then satisfies ``b_x[k] = -b_x[f(k)]`` and ``b_y[k] = b_y[f(k)]``
    (``f``: the flip pairing). The rest, ``((b_x[k] + b_x[f(k)]) / 2, (b_y[k] -
    b_y[f(k)]) / 2)``, is what such a model leaves: measured on a model's TRAINING faces,
    a large value says the labels are not mirror-symmetric and flipping fights them
    (ytf68's do: docs/model_card.md).

    Args:
        signed: (N, K, 2) signed errors ``(p - g) / d`` (fractions of the normaliser)
        mask: (N, K) visible points
        flip_indices: K flip partners (the dataset's ``flip_indices``); without them only
            ``landmark_bias`` is returned

    Returns:
        dict: ``landmark_bias``: RMS over the landmarks of ``|b[k]|``; ``mirror_bias``:
        RMS over the landmarks of the part above.
    """
    counts = mask.sum(0)  # (K,)
    seen = counts > 0
    bias = np.where(mask[..., None], signed, 0).sum(0) / np.maximum(counts, 1)[:, None]  # (K, 2)
    out = dict(landmark_bias=float(np.sqrt((bias[seen] ** 2).sum(1).mean())))
    if flip_indices is not None:
        flip = np.asarray(flip_indices)
        if flip.shape != (len(bias), ):
            raise ValueError(f'landmark_biases: flip_indices has {flip.size} entries for '
                             f'{len(bias)} landmarks')
        mirrored = np.stack([bias[:, 0] + bias[flip, 0], bias[:, 1] - bias[flip, 1]], -1) / 2
        both = seen & seen[flip]
        out['mirror_bias'] = float(np.sqrt((mirrored[both] ** 2).sum(1).mean()))
    return out


def nme_by_yaw(per_face: np.ndarray, gt: np.ndarray,
               bins: Sequence[float]) -> Dict[str, float]:
    """Mean NME and face count per bin of the ground truth's |yaw|.

    Args:
        per_face: (N,) per-face NME (fractions)
        gt: (N, 68, 2) ground-truth points in pixels, NaN where unlabelled
        bins: increasing bin edges in degrees, (15, 30, 45) -> 0-15, 15-30, 30-45, 45+
    """
    if gt.shape[1:] != (NUM_POINTS, 2):
        raise InputError(f'NMEFailureAUC: yaw_bins need {NUM_POINTS} iBUG points, the data '
                         f'has K={gt.shape[1]}')
    yaw = np.abs(estimate_head_pose(gt)[:, 0])
    known = np.isfinite(yaw)
    edges = [0.0] + list(bins) + [np.inf]
    out = {}
    for low, high in zip(edges[:-1], edges[1:]):
        name = f'{low:g}-{high:g}' if np.isfinite(high) else f'{low:g}+'
        inside = known & (yaw >= low) & (yaw < high)
        out[f'NME_yaw_{name}'] = float(per_face[inside].mean()) if inside.any() else \
            float('nan')
        out[f'faces_yaw_{name}'] = int(inside.sum())
    out['faces_yaw_unknown'] = int((~known).sum())
    return out


@METRICS.register_module()
class NMEFailureAUC(NME):
    """MMPose's :class:`NME` (same normalisation and value) plus ``FR@thr`` and ``AUC@thr``
    and the systematic error ``bias_x``, ``bias_y``.

    Per-face NME is the mean over the face's visible points of ``||p - g|| / d``.
    ``bias_x`` / ``bias_y``: the mean of ``(p - g) / d`` on each axis over every visible
    point: near 0 for a model in its labels' pixel convention; a value near ``1 px / d``
    gives away a convention mismatch (1-based labels flipped as 0-based).
    ``landmark_bias`` / ``mirror_bias``: :func:`landmark_biases` (the second where the
    dataset meta has ``flip_indices``). All values are fractions (0.04 = 4%).

    Args:
        failure_threshold (float): thr for FR and AUC. Default 0.1.
        outfile_prefix (str, optional): if set, per-face NMEs are written to
            ``{outfile_prefix}.nme.json`` (for ``tools/analysis/plot_ced.py``).
        yaw_bins (sequence of float, optional): for 68 iBUG points, also the mean NME
            per bin of the ground truth's |yaw| (degrees; :mod:`mmpose_pipnet.apis.head_pose`
            on the labelled points), e.g. ``(15, 30, 45)``: keys ``NME_yaw_0-15``,
            ``NME_yaw_15-30``, ``NME_yaw_30-45``, ``NME_yaw_45+`` and the face counts
            ``faces_yaw_...`` (faces with an unlabelled rigid point have no yaw and count
            in ``faces_yaw_unknown``); an empty bin gives NaN.
        Other args: as :class:`mmpose.evaluation.metrics.NME`.
    """

    def __init__(self, *args, failure_threshold: float = 0.1,
                 outfile_prefix: Optional[str] = None,
                 yaw_bins: Optional[Sequence[float]] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.failure_threshold = failure_threshold
        self.outfile_prefix = outfile_prefix
        self.yaw_bins = None if yaw_bins is None else [float(b) for b in yaw_bins]
        if self.yaw_bins is not None and (not self.yaw_bins or sorted(self.yaw_bins) !=
                                          self.yaw_bins or self.yaw_bins[0] <= 0):
            raise InputError(f'NMEFailureAUC: yaw_bins {yaw_bins} must be increasing '
                             f'positive degrees, e.g. (15, 30, 45)')

    def compute_metrics(self, results: list) -> Dict[str, float]:
        metrics = super().compute_metrics(results)  # NME; resolves keypoint_indices
        pred = np.concatenate([r['pred_coords'] for r in results])
        gt = np.concatenate([r['gt_coords'] for r in results])
        mask = np.concatenate([r['mask'] for r in results])
        if self.norm_mode == 'use_norm_item':
            norm = np.tile(np.concatenate([r[self.norm_item] for r in results]), [1, 2])
        else:
            norm = self._get_normalize_factor(gt_coords=gt)
        distances = _calc_distances(pred, gt, mask, norm).T  # (N, K), -1 where invalid
        valid = distances >= 0
        per_face = (distances * valid).sum(1) / np.maximum(valid.sum(1), 1)
        if self.yaw_bins is not None:
            metrics.update(nme_by_yaw(per_face[valid.any(1)],
                                      np.where(mask[..., None], gt, np.nan)[valid.any(1)],
                                      self.yaw_bins))
        per_face = per_face[valid.any(1)]
        thr = self.failure_threshold
        fr, auc = failure_rate_and_auc(per_face, thr)
        metrics[f'FR@{thr:g}'] = fr
        metrics[f'AUC@{thr:g}'] = auc
        signed = (pred - gt) / norm[:, None, :]  # (N, K, 2), fractions of the normaliser
        metrics['bias_x'], metrics['bias_y'] = (float(v) for v in signed[mask].mean(0))
        metrics.update(landmark_biases(signed, mask,
                                       (self.dataset_meta or {}).get('flip_indices')))
        if self.outfile_prefix:
            out = f'{self.outfile_prefix}.nme.json'
            dump_json_atomically(dict(metrics=metrics, nme=per_face.tolist()), out)
            MMLogger.get_current_instance().info(f'per-face NMEs written to {out}')
        return metrics
