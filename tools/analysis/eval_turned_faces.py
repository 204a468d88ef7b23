"""A model on turned faces: landmark NME and face detection rate on synthetic turned views
(made by tools/dataset_converters/synthesize_turned_faces.py from faces the model never
trained on), per target |yaw|, beside the same faces as photographed.

NME is inter-ocular (outer eye corners; it grows with yaw by itself, as the eye distance
shrinks about as cos(yaw)) and by the box side (the landmarks' square), with the
ground-truth landmarks' square as the box;
the detection rate is the share of faces the offline face detector finds
(:func:`mmpose_pipnet.apis.face_detection.match_faces`). The synthetic views are marked as
such in every line printed: they are renders, not photographs.

Example (the held-out people of the split by person; tools/prepare_ytf68.sh makes both
jsons when given the Surrey Face Model folder):
    python tools/analysis/eval_turned_faces.py --model pipnet-ytf68-person \\
        --turned data/ytf68_turned_held_out/ytf68_person_held_out.json \\
        --turned-root data/ytf68_turned_held_out/images \\
        --frontal data/ytf68_coco/ytf68_person_held_out.json --frontal-root data/ytf68/images
Ends with one JSON line of every figure.
"""
import argparse
import json
import os.path as osp
import sys
from typing import Dict, List

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import evaluate_face_detector, load_face_images  # noqa: E402

from mmpose_pipnet.apis import FaceLandmarker  # noqa: E402
from mmpose_pipnet.apis.model_zoo import DEFAULT_FACE_DETECTOR  # noqa: E402
from mmpose_pipnet.utils.errors import InputError  # noqa: E402


def views_by_target_yaw(ann_file: str, image_root: str) -> Dict[float, List[Dict]]:
    """The turned views of ``ann_file`` (:func:`load_face_images` items) grouped by the
    ``target_yaw`` (degrees) the synthesis tool wrote for each image."""
    with open(ann_file) as f:
        targets = {osp.join(image_root, image['file_name']): image.get('target_yaw')
                   for image in json.load(f)['images']}
    if any(target is None for target in targets.values()):
        raise InputError(f'{ann_file}: images without target_yaw (expected the json of '
                         'tools/dataset_converters/synthesize_turned_faces.py)')
    groups: Dict[float, List[Dict]] = {}
    for item in load_face_images(ann_file, image_root):
        groups.setdefault(float(targets[item['path']]), []).append(item)
    return dict(sorted(groups.items()))


def summarise(result: Dict, items: List[Dict]) -> Dict:
    """Faces, mean NME (%, ground-truth box) by the outer eye corners and by the box side
    (the landmarks' square, which shrinks less than the eye distance as a face turns),
    and detection rate of one group of :func:`load_face_images` ``items``."""
    points = np.concatenate([item['points'] for item in items])
    inter_ocular = np.linalg.norm(points[:, 36] - points[:, 45], axis=-1)
    box_side = np.ptp(points, axis=1).max(-1)
    nme = np.asarray(result['nme_gt_box'])
    return dict(faces=int(len(nme)), nme=round(float(nme.mean()) * 100, 3),
                nme_box=round(float((nme * inter_ocular / box_side).mean()) * 100, 3),
                detected=round(float(result['detected']), 4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', default='pipnet-ytf68-person',
                        help='a shipped model name, or a config file (with --checkpoint)')
    parser.add_argument('--checkpoint', help='weights (default: the shipped model\'s)')
    parser.add_argument('--turned', required=True, help='synthetic views json')
    parser.add_argument('--turned-root', required=True, help='their images folder')
    parser.add_argument('--frontal', required=True, help='the source faces\' json')
    parser.add_argument('--frontal-root', required=True, help='their images folder')
    parser.add_argument('--photos', nargs='+', default=[], metavar='JSON=ROOT',
                        help='also each face of these photographs (MMPose COCO json = its '
                             'image folder), through the detector\'s box')
    parser.add_argument('--detector', default=DEFAULT_FACE_DETECTOR)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args()
    for name in ('turned', 'frontal'):
        if not osp.isfile(getattr(args, name)):
            raise InputError(f'--{name} {getattr(args, name)}: not found')
    landmarker = FaceLandmarker(args.model, args.checkpoint, args.detector, args.device)

    def detect(image):
        boxes = landmarker.detect(image)
        return boxes[:, :4], boxes[:, 4]

    def landmarks(image, boxes):
        return landmarker.landmarks(image, boxes).keypoints

    photographed = load_face_images(args.frontal, args.frontal_root)
    rows = {'photographed (the source faces)': summarise(evaluate_face_detector(
        detect, photographed, landmarks, desc='photographed'), photographed)}
    for target, items in views_by_target_yaw(args.turned, args.turned_root).items():
        rows[f'synthetic |yaw| {target:g}'] = summarise(evaluate_face_detector(
            detect, items, landmarks, desc=f'synthetic {target:g}'), items)
    frontal = rows['photographed (the source faces)']
    print(f'\nmodel {args.model} {args.checkpoint or ""}\n'
          f'{"faces":<34} {"n":>5} {"NME %":>7} {"x photo":>8} {"NME box %":>10} '
          f'{"x photo":>8} {"detected":>9}')
    for name, row in rows.items():
        row['nme_ratio_to_photographed'] = round(row['nme'] / frontal['nme'], 3)
        row['nme_box_ratio_to_photographed'] = round(row['nme_box'] / frontal['nme_box'], 3)
        print(f'{name:<34} {row["faces"]:>5} {row["nme"]:>7.2f} '
              f'{row["nme_ratio_to_photographed"]:>8.2f} {row["nme_box"]:>10.2f} '
              f'{row["nme_box_ratio_to_photographed"]:>8.2f} {row["detected"] * 100:>8.1f}%')
    photo_faces = {}
    for spec in args.photos:
        ann_file, _, root = spec.partition('=')
        if not osp.isfile(ann_file) or not osp.isdir(root):
            raise InputError(f'--photos {spec}: expected JSON=IMAGE_FOLDER, both existing')
        items = load_face_images(ann_file, root)
        result = evaluate_face_detector(detect, items, landmarks, desc=osp.basename(ann_file))
        names = [f'{osp.basename(item["path"])}#{f}' for item in items
                 for f in range(len(item['points']))]
        for name, nme in zip(names, result['nme_det_box']):
            photo_faces[name] = None if np.isnan(nme) else round(float(nme) * 100, 2)
    if photo_faces:
        print('\nphotographs, detector box: NME % per face (None: not detected)')
        for name, nme in photo_faces.items():
            print(f'  {name:<40} {nme}')
    print(json.dumps(dict(model=args.model, checkpoint=args.checkpoint, rows=rows,
                          photo_faces=photo_faces)))


if __name__ == '__main__':
    main()
