"""The table of an STC experiment (docs/stc.md): each round's model and the
baselines on each annotation file, as markdown, then one JSON line.

Example (the ytf68 table of docs/stc.md):
    python tools/analysis/stc_report.py configs/pipnet/stc/ytf68_mbv2_stc.py \
        work_dirs/stc_ytf68 --baseline "supervised only=work_dirs/stc_supervised/epoch_17.pth" \
        --ann-file ytf68_coco/ytf68_person_held_out.json ytf68_coco/ytf68_val.json
"""
import argparse
import copy
import json
import os.path as osp
import tempfile
from typing import Dict, List, Sequence, Tuple

import mmpose_pipnet  # noqa: F401  (registration)
from mmengine.config import Config
from mmengine.runner import Runner
from mmpose_pipnet.utils import InputError


def evaluate_checkpoint(cfg: Config, checkpoint: str, ann_file: str, work_dir: str,
                        name: str) -> Dict[str, float]:
    """Metrics of ``checkpoint`` on ``ann_file`` (relative to the test dataset's data_root),
    with the config's test pipeline and evaluator; logs under ``work_dir`` as experiment
    ``name`` (unique per call: MMEngine keeps one logger and visualizer per name)."""
    cfg = copy.deepcopy(cfg)
    cfg.test_dataloader.dataset.ann_file = ann_file
    cfg.update(load_from=checkpoint, resume=False, work_dir=work_dir, experiment_name=name,
               log_level='WARNING')
    metrics = Runner.from_cfg(cfg).test()
    return {k: float(v) for k, v in metrics.items()}


def stc_rows(config: str, work_dir: str, ann_files: Sequence[str],
             baselines: Sequence[Tuple[str, str]] = ()) -> List[Dict]:
    """One row per baseline (label, checkpoint) and per finished STC round of
    ``work_dir`` (``stc/rounds.json``, ``stc/round_R.pth``): the metrics on every file."""
    rounds_file = osp.join(work_dir, 'stc', 'rounds.json')
    if not osp.isfile(rounds_file):
        raise InputError(f'{rounds_file} not found: is {work_dir} an STC work dir?')
    with open(rounds_file) as f:
        rounds = json.load(f)
    cfg = Config.fromfile(config)
    entries = [dict(label=label, checkpoint=ckpt) for label, ckpt in baselines]
    entries += [dict(label=f'STC round {r["round"]} ({r["task"]})',
                     checkpoint=osp.join(work_dir, 'stc', f'round_{r["round"]}.pth'),
                     pseudo_labelled_faces=r['pseudo_labelled_faces']) for r in rounds]
    for entry in entries:
        if not osp.isfile(entry['checkpoint']):
            raise InputError(f'checkpoint {entry["checkpoint"]} not found')
    with tempfile.TemporaryDirectory() as logs:
        for index, entry in enumerate(entries):
            entry['metrics'] = {
                ann: evaluate_checkpoint(cfg, entry['checkpoint'], ann, logs,
                                         f'stc_report_{index}_{n}')
                for n, ann in enumerate(ann_files)}
    return entries


def markdown_table(rows: Sequence[Dict], ann_files: Sequence[str]) -> str:
    """NME / FR@0.1 (%) and AUC@0.1 per annotation file, one line per row."""
    names = [osp.splitext(osp.basename(a))[0] for a in ann_files]
    header = '| model | pseudo-labelled faces | ' + ' | '.join(
        f'{n} NME (%) | {n} FR@0.1 (%) | {n} AUC@0.1' for n in names) + ' |'
    lines = [header, '|' + '---|' * (2 + 3 * len(names))]
    for row in rows:
        cells = [row['label'], str(row.get('pseudo_labelled_faces', 0))]
        for ann in ann_files:
            m = row['metrics'][ann]
            cells += [f'{100 * m["NME"]:.2f}', f'{100 * m["FR@0.1"]:.2f}',
                      f'{m["AUC@0.1"]:.4f}']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


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
