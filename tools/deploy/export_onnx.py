"""Export a PIPNet config (+ checkpoint) to ONNX, preprocessing and decoding in the graph.

Input ``images`` (B, 3, h, w) float32 BGR 0-255 crops; outputs ``keypoints`` (B, K, 2) in
crop pixels and ``scores`` (B, K), or with --raw-maps the head's five maps. Run the model
with pipnet_onnxruntime.PIPNetONNXPredictor (no MMPose needed). With --int8 the graph is
quantised (ONNX Runtime static quantisation, QDQ, per-channel int8 weights, activations
calibrated on --calib-crops training faces through the config's test pipeline; the
default model's NME on new people +0.8%: docs/benchmarks.md). Examples:
    python tools/deploy/export_onnx.py configs/pipnet/ytf68_mbv2.py \
        checkpoints/pipnet_mbv2_ytf68.pth --out work_dirs/pipnet_mbv2_ytf68.onnx
    python tools/deploy/export_onnx.py configs/pipnet/ytf68_mbv2.py \
        checkpoints/pipnet_mbv2_ytf68.pth --out work_dirs/pipnet_mbv2_ytf68_int8.onnx \
        --int8 --calib-ann data/ytf68_coco/ytf68_person_train.json
"""
import argparse
import os.path as osp
import sys
import tempfile

import mmpose_pipnet  # noqa: F401  (registration)
from mmpose_pipnet.deploy import CALIBRATION, calibration_crops, export_onnx, quantize_onnx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='PIPNet config')
    parser.add_argument('checkpoint', nargs='?', help='weights (default: random, for tests '
                        'and benchmarks)')
    parser.add_argument('--out', required=True, help='.onnx file to write')
    parser.add_argument('--raw-maps', action='store_true',
                        help='output the five head maps instead of decoded landmarks')
    parser.add_argument('--opset', type=int, default=18, help='ONNX opset (default 18)')
    parser.add_argument('--int8', action='store_true',
                        help='write the int8 (QDQ) graph, calibrated on training crops')
    parser.add_argument('--calib-ann', help='with --int8: the calibration faces, a COCO '
                        'json of the config\'s dataset (default: its training annotations)')
    parser.add_argument('--calib-crops', type=int, default=200,
                        help='with --int8: faces drawn from --calib-ann (default 200)')
    parser.add_argument('--calib-method', default='moving_average', choices=sorted(CALIBRATION),
                        help='with --int8: activation ranges (default moving_average)')
    args = parser.parse_args()
    for name, path in (('config', args.config), ('checkpoint', args.checkpoint),
                       ('--calib-ann', args.calib_ann)):
        if path is not None and not osp.isfile(path):
            sys.exit(f'export_onnx: {name} file {path} not found')
    if args.calib_crops < 1:
        sys.exit(f'export_onnx: --calib-crops {args.calib_crops}: expected at least 1')
    if not args.int8:
        export_onnx(args.config, args.checkpoint, args.out, args.raw_maps, args.opset)
        print(f'wrote {args.out}')
        return
    calib_ann = osp.abspath(args.calib_ann) if args.calib_ann else None
    try:
        crops = calibration_crops(args.config, calib_ann, args.calib_crops)
    except (OSError, ValueError) as error:  # bad data (InputError too): one line
        sys.exit(f'export_onnx: --int8 calibration: {error}')
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_onnx(args.config, args.checkpoint, osp.join(tmp, 'fp32.onnx'),
                           args.raw_maps, args.opset)
        quantize_onnx(fp32, args.out, crops, calibrate_method=args.calib_method)
    print(f'wrote {args.out} (int8, calibrated on {len(crops)} crops)')


if __name__ == '__main__':
    main()
