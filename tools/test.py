"""Evaluate a PIPNet (or any MMPose) checkpoint: MMPose's tools/test.py, plus the plugin.

Example:
    python tools/test.py configs/pipnet/ytf68_mbv2.py checkpoints/pipnet_mbv2_ytf68.pth
    python tools/test.py CONFIG CKPT --nme-out work_dirs/a   # per-face NMEs for plot_ced.py
"""
import argparse
import os
import os.path as osp

import mmpose_pipnet  # noqa: F401  (registration)
import mmengine
from mmengine.config import Config, DictAction
from mmpose_pipnet.engine import build_runner
from mmpose_pipnet.utils import InputError
from mmpose_pipnet.utils.files import WriteError, atomic_path

#: --out formats (mmengine.dump's, by the file's extension)
OUT_FORMATS = ('json', 'yaml', 'yml', 'pkl', 'pickle')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a pose model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save evaluation logs')
    parser.add_argument('--out', help='write the metrics to this json/yaml/pkl file')
    parser.add_argument('--nme-out', metavar='PREFIX',
                        help='write per-face NMEs to PREFIX.nme.json (NMEFailureAUC only)')
    parser.add_argument('--dump', help='dump predictions to this pickle file')
    parser.add_argument('--show-dir', help='save images with predictions drawn here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value (e.g. '
                             'test_dataloader.dataset.ann_file=val.json)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the command line into the config (as MMPose's tools/test.py)."""
    out_format = osp.splitext(args.out)[1][1:] if args.out else None
    if args.out is not None and out_format not in OUT_FORMATS:
        raise InputError(f'--out {args.out}: expected a .{", .".join(OUT_FORMATS[:-1])} or '
                         f'.{OUT_FORMATS[-1]} file')
    cfg.launcher = args.launcher
    cfg.load_from = args.checkpoint
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.show_dir is not None:
        cfg.default_hooks.visualization.update(enable=True, out_dir=args.show_dir)
    if args.nme_out is not None:
        evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else \
            [cfg.test_evaluator]
        ours = [e for e in evaluators if e.get('type') == 'NMEFailureAUC']
        if not ours:
            raise ValueError('--nme-out needs an NMEFailureAUC test_evaluator; the config '
                             f'has {[e.get("type") for e in evaluators]}')
        ours[0].outfile_prefix = args.nme_out
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise InputError(f'--dump {args.dump}: expected a .pkl file')
        cfg.test_evaluator = [cfg.test_evaluator,
                              dict(type='DumpResults', out_file_path=args.dump)]
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main() -> None:
    args = parse_args()
    for name, path in (('config', args.config), ('checkpoint', args.checkpoint)):
        if not osp.isfile(path):
            raise SystemExit(f'test: {name} file {path} not found')
    try:
        cfg = merge_args(Config.fromfile(args.config), args)
        metrics = build_runner(cfg).test()
        if args.out:  # atomically: a failed write leaves an earlier file whole
            with atomic_path(args.out) as tmp_file:
                mmengine.dump(metrics, tmp_file, file_format=osp.splitext(args.out)[1][1:])
    # a mistake in the data or config, or a file the disk refused: one line, no traceback
    except (InputError, WriteError) as error:
        raise SystemExit(f'test: {error}')


if __name__ == '__main__':
    main()
