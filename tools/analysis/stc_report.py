"""The table of an STC experiment (README "Self-training"): each round's model and the
baselines on each annotation file, as markdown, then one JSON line.

Example (the README's ytf68 table):
    python tools/analysis/stc_report.py configs/pipnet/stc/ytf68_mbv2_stc.py \
        work_dirs/stc_ytf68 --baseline "supervised only=work_dirs/stc_supervised/epoch_17.pth" \
        --ann-file ytf68_coco/ytf68_person_held_out.json ytf68_coco/ytf68_val.json
"""
import argparse
import json

import mmpose_pipnet  # noqa: F401  (stack fixes + registration)
from mmpose_pipnet.evaluation.stc_report import markdown_table, stc_rows
from mmpose_pipnet.utils import InputError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the STC config (its test pipeline and metric)')
    parser.add_argument('work_dir', help='the STC run (stc/rounds.json, stc/round_R.pth)')
    parser.add_argument('--ann-file', nargs='+', required=True,
                        help="annotation files, relative to the test dataset's data_root")
    parser.add_argument('--baseline', nargs='*', default=[], metavar='LABEL=CHECKPOINT',
                        help='other checkpoints to list first')
    args = parser.parse_args()
    try:
        baselines = [tuple(b.split('=', 1)) for b in args.baseline]
        if any(len(b) != 2 for b in baselines):
            raise InputError('--baseline: expected LABEL=CHECKPOINT')
        rows = stc_rows(args.config, args.work_dir, args.ann_file, baselines)
    except InputError as error:
        raise SystemExit(f'stc_report: {error}')
    print(markdown_table(rows, args.ann_file))
    print(json.dumps(rows))


if __name__ == '__main__':
    main()
