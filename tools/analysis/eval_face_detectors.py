"""Compare face detectors on whole images with landmark ground truth (docs/benchmarks.md).

For each detector config and each labelled set: the share of faces found, detector time
per image, and (68-point sets) the PIPNet landmark NME through the detector's boxes next
to the NME with the ground-truth box (the landmarks' square) and, with --box-scales, with
that box scaled. Prints a markdown table and, as its last line, one JSON object.
Example (the table of docs/benchmarks.md; after tools/prepare_ytf68.sh):
    python tools/analysis/eval_face_detectors.py \
        --detectors configs/face_detection/yunet_face.py configs/face_detection/haar_face.py \
        --sets ytf68-train=data/ytf68_coco/ytf68_train.json:data/ytf68/images \
               ytf68-val=data/ytf68_coco/ytf68_val.json:data/ytf68/images \
        --fixtures PATH/TO/mmpose-face-samples --box-scales 0.85 1.15
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np

import mmpose_pipnet  # noqa: F401  (registration)
from mmpose_pipnet.apis import DEFAULT_CHECKPOINT, DEFAULT_CONFIG, FaceDetector, FaceLandmarker

sys.path.append(osp.dirname(osp.abspath(__file__)))  # _common.py beside this script
from _common import evaluate_face_detector, load_face_images  # noqa: E402

# MMPose's face fixtures (folder, json): 68-point sets get NMEs, the others detection only
FIXTURES = (('300w', 'test_300w.json'), ('300wlp', 'test_300wlp.json'),
            ('300vw', 'anno_300vw.json'), ('coco', 'test_coco_wholebody.json'),
            ('wflw', 'test_wflw.json'), ('cofw', 'test_cofw.json'),
            ('aflw', 'test_aflw.json'), ('lapa', 'test_lapa.json'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--detectors', nargs='+', required=True, help='detector configs')
    parser.add_argument('--sets', nargs='*', default=[], metavar='NAME=JSON:IMAGE_ROOT',
                        help='labelled sets (COCO-style face json and its image folder)')
    parser.add_argument('--fixtures', help="MMPose's face fixtures folder (all in one row)")
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='PIPNet config')
    parser.add_argument('--checkpoint', default=DEFAULT_CHECKPOINT, help='its weights')
    parser.add_argument('--box-scales', type=float, nargs='*', default=[],
                        help='also the NME with the ground-truth box scaled by these')
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args()

    sets = {}
    for spec in args.sets:
        name, _, paths = spec.partition('=')
        ann, _, root = paths.partition(':')
        sets[name] = load_face_images(ann, root)
    if args.fixtures:
        sets['fixtures'] = [image for folder, ann in FIXTURES
                            for image in load_face_images(osp.join(args.fixtures, folder, ann),
                                                          osp.join(args.fixtures, folder))]
    landmarker = FaceLandmarker(args.config, args.checkpoint, args.detectors[0], args.device)
    num_keypoints = landmarker.num_keypoints

    def landmarks(image, boxes):
        return landmarker.landmarks(image, boxes).keypoints

    rows, summary = [], {}
    for det_config in args.detectors:
        detector = FaceDetector.from_config(det_config)
        name = osp.splitext(osp.basename(det_config))[0]
        for set_name, images in sets.items():
            with_nme = [im for im in images if im['points'].shape[1] == num_keypoints]
            others = [im for im in images if im['points'].shape[1] != num_keypoints]
            runs = [(part, evaluate_face_detector(detector, part, fn, scales,
                                                  desc=f'{name} {set_name}'))
                    for part, fn, scales in ((with_nme, landmarks, args.box_scales),
                                             (others, None, ())) if part]
            faces = sum(r['faces'] for _, r in runs)
            entry = dict(faces=faces,
                         detected=100 * sum(r['detected'] * r['faces'] for _, r in runs) / faces,
                         ms_per_image=1000 * sum(r['seconds_per_image'] * len(part)
                                                 for part, r in runs) / len(images))
            if with_nme:
                nme = runs[0][1]
                hit = np.isfinite(nme['nme_det_box'])
                entry.update(nme_faces=len(hit), nme_gt_box=100 * nme['nme_gt_box'].mean(),
                             nme_gt_box_detected=100 * nme['nme_gt_box'][hit].mean(),
                             nme_det_box=100 * nme['nme_det_box'][hit].mean())
                for scale in args.box_scales:
                    entry[f'nme_gt_box_x{scale:g}'] = \
                        100 * nme[f'nme_gt_box_x{scale:g}'].mean()
            summary[f'{name}/{set_name}'] = {k: round(v, 3) if isinstance(v, float) else v
                                             for k, v in entry.items()}
            rows.append((name, set_name, entry))

    scales = ''.join(f' NME GT box x{s:g} (%) |' for s in args.box_scales)
    print(f'| detector | set | faces | found (%) | ms/image | NME GT box (%) | NME detector '
          f'box (%) |{scales}')
    print('|---' * (7 + len(args.box_scales)) + '|')
    for name, set_name, entry in rows:
        nme = (f"{entry['nme_gt_box_detected']:.2f} | {entry['nme_det_box']:.2f} |"
               if 'nme_det_box' in entry else '- | - |')
        extra = ''.join(f" {entry[f'nme_gt_box_x{s:g}']:.2f} |" if 'nme_det_box' in entry
                        else ' - |' for s in args.box_scales)
        print(f"| {name} | {set_name} | {entry['faces']} | {entry['detected']:.1f} | "
              f"{entry['ms_per_image']:.1f} | {nme}{extra}")
    print('NME GT box: on the faces the detector found (all faces: JSON nme_gt_box).')
    print(json.dumps(summary))


if __name__ == '__main__':
    main()
