"""Export a PIPNet config (+ checkpoint) to ONNX, preprocessing and decoding in the graph.

Input ``images`` (B, 3, h, w) float32 BGR 0-255 crops; outputs ``keypoints`` (B, K, 2) in
crop pixels and ``scores`` (B, K), or with --raw-maps the head's five maps. Run the model
with pipnet_onnxruntime.PIPNetONNXPredictor (no MMPose needed). Example:
    python tools/deploy/export_onnx.py configs/pipnet/ytf68_mbv2.py \
        checkpoints/pipnet_mbv2_ytf68.pth --out work_dirs/pipnet_mbv2_ytf68.onnx
"""
import argparse
import os.path as osp
import sys

import mmpose_pipnet  # noqa: F401  (registration)
from mmpose_pipnet.deploy import export_onnx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='PIPNet config')
    parser.add_argument('checkpoint', nargs='?', help='weights (default: random, for tests '
                        'and benchmarks)')
    parser.add_argument('--out', required=True, help='.onnx file to write')
    parser.add_argument('--raw-maps', action='store_true',
                        help='output the five head maps instead of decoded landmarks')
    parser.add_argument('--opset', type=int, default=18, help='ONNX opset (default 18)')
    args = parser.parse_args()
    for name, path in (('config', args.config), ('checkpoint', args.checkpoint)):
        if path is not None and not osp.isfile(path):
            sys.exit(f'export_onnx: {name} file {path} not found')
    export_onnx(args.config, args.checkpoint, args.out, args.raw_maps, args.opset)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
