"""Landmark annotations -> MMPose's COCO-style face json (Face300WDataset & co.).

Boxes come from the points' extent: a square of the extent's longer side, centred on the
extent, times ``box_scale`` (default 1.0: the tight square). MMPose's face configs pad it
again by 1.25 (``GetBBoxCenterScale``). Each annotation carries ``bbox`` [x, y, w, h] and the
300W-style ``center`` / ``scale`` (side / 200), so every face dataset class can read it.
"""
import csv
import glob
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image
from tqdm import tqdm

from ..utils.files import dump_json_atomically


def landmark_annotation(points: np.ndarray, image_id: int, box_scale: float = 1.0) -> Dict:
    """One COCO annotation (id = ``image_id``) for (K, 2) points in image pixels, all
    labelled (v = 1), boxed by the points' square extent times ``box_scale``."""
    lo, hi = points.min(0), points.max(0)
    center = (lo + hi) / 2
    side = float((hi - lo).max()) * box_scale
    kpts = np.concatenate([points, np.ones((len(points), 1))], 1)
    return dict(id=image_id, image_id=image_id, category_id=1, iscrowd=0,
                keypoints=kpts.reshape(-1).round(3).tolist(), num_keypoints=len(points),
                bbox=[float(center[0] - side / 2), float(center[1] - side / 2), side, side],
                area=side * side, center=center.round(3).tolist(), scale=side / 200.0)


def write_coco(images: List[Dict], annotations: List[Dict], out_file: str) -> None:
    """Write a one-category ('face') COCO json atomically: a reader never sees half a
    file, and a crash while writing leaves the previous file (if any) in place."""
    categories = [dict(id=1, name='face', supercategory='person', keypoints=[],
                       skeleton=[])]
    dump_json_atomically(dict(images=images, annotations=annotations,
                              categories=categories), out_file)


def _image_entry(image_root: str, file_name: str, image_id: int) -> Dict:
    path = osp.join(image_root, file_name)
    if not osp.isfile(path):
        raise FileNotFoundError(f'image {path} not found (image column {file_name!r} is '
                                f'taken relative to the image root {image_root!r})')
    with Image.open(path) as img:
        width, height = img.size
    return dict(id=image_id, file_name=file_name, width=width, height=height)


def landmark_csv_to_coco(csv_file: str, image_root: str, out_file: str,
                         box_scale: float = 1.0) -> Tuple[int, int]:
    """Convert ``image,x0,y0,...,xK-1,yK-1`` rows (pixels) to a COCO-style json.

    Args:
        csv_file: the csv, with a header row; ``image`` is a path under ``image_root``
        image_root: folder the image paths are relative to (read for image sizes)
        out_file: the json to write; ``file_name`` keeps the csv's relative path
        box_scale: factor on the tight square box of the points

    Returns:
        tuple: (number of faces, K)
    """
    with open(csv_file, newline='') as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][0] != 'image' or (len(rows[0]) - 1) % 2:
        raise ValueError(f'{csv_file}: expected a header "image,x0,y0,...,xK-1,yK-1"')
    num_points = (len(rows[0]) - 1) // 2
    images, annotations = [], []
    for line, row in enumerate(tqdm(rows[1:], desc=osp.basename(csv_file)), start=2):
        if len(row) != 2 * num_points + 1:
            raise ValueError(f'{csv_file}:{line}: expected {2 * num_points + 1} fields, '
                             f'got {len(row)}')
        try:
            points = np.array(row[1:], dtype=np.float64).reshape(num_points, 2)
        except ValueError:
            raise ValueError(f'{csv_file}:{line}: coordinates must be numbers') from None
        if not np.isfinite(points).all():
            raise ValueError(f'{csv_file}:{line}: coordinates must be finite (found NaN or '
                             f'inf)')
        image_id = len(images) + 1
        images.append(_image_entry(image_root, row[0], image_id))
        annotations.append(landmark_annotation(points, image_id, box_scale))
    write_coco(images, annotations, out_file)
    return len(annotations), num_points


def read_pts(path: str) -> np.ndarray:
    """Points of a 300W-style ``.pts`` file (``n_points: K`` then ``{ x y ... }``): (K, 2)."""
    with open(path) as f:
        text = f.read()
    try:
        header, body = text.split('{', 1)
        count = int(header.split('n_points:')[1].split()[0])
        values = np.array(body.split('}')[0].split(), dtype=np.float64)
        return values.reshape(count, 2)
    except (IndexError, ValueError):
        raise ValueError(f'{path}: not a .pts file ("n_points: K" then "{{ x y ... }}" '
                         f'with K points)') from None


def pts_folder_to_coco(root: str, out_file: str, box_scale: float = 1.0,
                       image_exts: Sequence[str] = ('.jpg', '.png', '.jpeg')) -> int:
    """Convert every image with a same-named ``.pts`` under ``root`` (recursively).

    ``file_name`` is the image path relative to ``root``. Returns the number of faces.
    """
    pts_files = sorted(glob.glob(osp.join(root, '**', '*.pts'), recursive=True))
    if not pts_files:
        raise FileNotFoundError(f'no .pts files under {root}')
    images, annotations = [], []
    for pts in tqdm(pts_files, desc=osp.basename(root.rstrip('/'))):
        stem = osp.splitext(pts)[0]
        image = next((stem + ext for ext in image_exts if osp.isfile(stem + ext)), None)
        if image is None:
            raise FileNotFoundError(f'{pts}: no image beside it ({", ".join(image_exts)})')
        image_id = len(images) + 1
        images.append(_image_entry(root, osp.relpath(image, root), image_id))
        annotations.append(landmark_annotation(read_pts(pts), image_id, box_scale))
    write_coco(images, annotations, out_file)
    return len(annotations)
