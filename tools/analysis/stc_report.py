"""The report of an STC experiment (docs/stc.md): each arm's rounds and the baselines on
each annotation file as a markdown table, every model against one baseline with a 95%
bootstrap interval over people, a plot of NME per round, then one JSON line.

Example (the ytf68 experiment of docs/stc.md):
    python tools/analysis/stc_report.py configs/pipnet/stc/ytf68_mbv2_stc.py \
        --arm "STC=work_dirs/stc_e12" --arm "plain self-training=work_dirs/stc_plain" \
        --baseline "supervised=checkpoints/stc/ytf68_mbv2_supervised.pth" \
        --baseline "oracle=work_dirs/stc_oracle/epoch_16.pth" \
        --ann-file ytf68_coco/ytf68_person_held_out.json ytf68_coco/ytf68_val.json \
        --compare-to supervised --plot docs/stc_ytf68_rounds.png

The config gives the test pipeline and metric (every arm of an experiment shares them);
an arm is an STC work dir (``stc/rounds.json``, ``stc/round_R.pth``). A face's person is
its file name minus the extension and a trailing ``_NN`` (ytf68's frames).
"""
import argparse
import copy
import json
import os.path as osp
import sys
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

import mmpose_pipnet  # noqa: F401  (registration)
from mmpose_pipnet.utils import InputError

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                            'dataset_converters'))
from split_by_person import person_of  # noqa: E402


def evaluate_checkpoint(cfg: Config, checkpoint: str, ann_file: str, work_dir: str,
                        name: str) -> Tuple[Dict[str, float], np.ndarray, List[str]]:
    """``checkpoint`` on ``ann_file`` (relative to the test dataset's data_root) with the
    config's test pipeline and evaluator (``NMEFailureAUC``): its metrics, the per-face NME
    (N,) (fractions) and each face's image path (N,), in dataset order. Logs under
    ``work_dir`` as experiment ``name`` (unique per call: MMEngine keeps one logger and
    visualizer per name)."""
    cfg = copy.deepcopy(cfg)
    if not isinstance(cfg.test_evaluator, dict):
        raise InputError('stc_report: test_evaluator must be one NMEFailureAUC metric, '
                         f'got {type(cfg.test_evaluator).__name__}')
    prefix = osp.join(work_dir, name)
    cfg.test_evaluator = dict(cfg.test_evaluator, outfile_prefix=prefix)
    cfg.test_dataloader.dataset.ann_file = ann_file
    cfg.update(load_from=checkpoint, resume=False, work_dir=work_dir, experiment_name=name,
               log_level='WARNING')
    runner = Runner.from_cfg(cfg)
    metrics = {k: float(v) for k, v in runner.test().items()}
    with open(f'{prefix}.nme.json') as f:
        per_face = np.asarray(json.load(f)['nme'], np.float64)
    dataset = runner.test_loop.dataloader.dataset
    paths = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
    if len(paths) != len(per_face):
        raise InputError(f'{ann_file}: {len(paths)} faces but {len(per_face)} per-face NMEs '
                         f'(faces without labelled points?): cannot pair them by person')
    return metrics, per_face, paths


def person_bootstrap(nme: np.ndarray, reference: np.ndarray, persons: Sequence[str],
                     resamples: int = 10000, seed: int = 0) -> Dict[str, float]:
    """The change of the mean per-face NME from ``reference`` to ``nme`` (both (N,), the
    same faces, fractions) with a 95% bootstrap interval that resamples people (a person's
    faces are not independent), and the number of people whose mean NME fell.

    Returns ``diff``, ``low``, ``high`` (NME points, i.e. percent: -0.06 = 0.06 points
    better), ``better_people``, ``people``."""
    people, index = np.unique(np.asarray(persons), return_inverse=True)
    change = np.bincount(index, nme - reference, len(people))  # (P,) summed per person
    faces = np.bincount(index, minlength=len(people)).astype(np.float64)  # (P,)
    draws = np.random.default_rng(seed).integers(0, len(people), (resamples, len(people)))
    means = change[draws].sum(1) / faces[draws].sum(1)  # (resamples,)
    low, high = np.percentile(means, [2.5, 97.5])
    return dict(diff=100 * change.sum() / faces.sum(), low=100 * low, high=100 * high,
                better_people=int((change < 0).sum()), people=len(people))


def _split_pairs(values: Sequence[str], option: str) -> List[Tuple[str, str]]:
    pairs = [tuple(v.split('=', 1)) for v in values]
    if any(len(p) != 2 or not p[0] or not p[1] for p in pairs):
        raise InputError(f'{option}: expected LABEL=PATH, got {values}')
    return pairs


def stc_rows(config: str, arms: Sequence[Tuple[str, str]], ann_files: Sequence[str],
             baselines: Sequence[Tuple[str, str]] = (),
             compare_to: Optional[str] = None) -> List[Dict]:
    """One row per baseline (label, checkpoint) and per finished round of each arm (label,
    STC work dir): ``metrics`` on every annotation file, the round's ``task``, how many
    pool faces it trained on and how right those pseudo-labels were (``pseudo_label_nme``,
    from ``stc/rounds.json``), and, with ``compare_to`` (a baseline's label), the change
    against that baseline on the first file (:func:`person_bootstrap`)."""
    entries = [dict(label=label, checkpoint=ckpt) for label, ckpt in baselines]
    for arm, work_dir in arms:
        rounds_file = osp.join(work_dir, 'stc', 'rounds.json')
        if not osp.isfile(rounds_file):
            raise InputError(f'{rounds_file} not found: is {work_dir} an STC work dir?')
        with open(rounds_file) as f:
            rounds = json.load(f)
        entries += [dict(label=f'{arm} round {r["round"]} ({r["task"]})', arm=arm,
                         round=r['round'], task=r['task'],
                         checkpoint=osp.join(work_dir, 'stc', f'round_{r["round"]}.pth'),
                         pseudo_labelled_faces=r['pseudo_labelled_faces'],
                         pseudo_label_nme=r.get('pseudo_label_nme')) for r in rounds]
    labels = [label for label, _ in baselines]
    if compare_to is not None and compare_to not in labels:
        raise InputError(f'--compare-to {compare_to}: not a --baseline label ({labels})')
    for entry in entries:
        if not osp.isfile(entry['checkpoint']):
            raise InputError(f'checkpoint {entry["checkpoint"]} not found')
    cfg = Config.fromfile(config)
    with tempfile.TemporaryDirectory() as logs:
        for index, entry in enumerate(entries):
            entry['metrics'] = {}
            for n, ann in enumerate(ann_files):
                metrics, per_face, paths = evaluate_checkpoint(
                    cfg, entry['checkpoint'], ann, logs, f'stc_report_{index}_{n}')
                entry['metrics'][ann] = metrics
                if n == 0:
                    entry['per_face'], entry['persons'] = per_face, [person_of(p) for p in paths]
    if compare_to is not None:
        reference = entries[labels.index(compare_to)]
        for entry in entries:
            if entry is not reference:
                entry['vs'] = dict(person_bootstrap(entry['per_face'], reference['per_face'],
                                                    entry['persons']), baseline=compare_to)
    return entries


def markdown_table(rows: Sequence[Dict], ann_files: Sequence[str]) -> str:
    """NME / FR@0.1 (%) and AUC@0.1 per annotation file, the pool faces a round trained on
    and their pseudo-label NME (%), and the change against the compared baseline (points on
    the first file, 95% interval over people), one line per row."""
    names = [osp.splitext(osp.basename(a))[0] for a in ann_files]
    compared = next((r['vs']['baseline'] for r in rows if 'vs' in r), None)
    header = '| model | pseudo-labelled faces | pseudo-label NME (%) | ' + ' | '.join(
        f'{n} NME (%) | {n} FR@0.1 (%) | {n} AUC@0.1' for n in names) + ' |'
    if compared is not None:
        header += f' {names[0]} vs {compared} (points, 95% over people) | people better |'
    columns = 3 + 3 * len(names) + 2 * (compared is not None)
    lines = [header, '|' + '---|' * columns]
    for row in rows:
        pseudo_nme = row.get('pseudo_label_nme')
        cells = [row['label'], str(row.get('pseudo_labelled_faces', 0)),
                 '-' if pseudo_nme is None else f'{100 * pseudo_nme:.2f}']
        for ann in ann_files:
            m = row['metrics'][ann]
            cells += [f'{100 * m["NME"]:.2f}', f'{100 * m["FR@0.1"]:.2f}',
                      f'{m["AUC@0.1"]:.4f}']
        if compared is not None:
            vs = row.get('vs')
            cells += ['-', '-'] if vs is None else [
                f'{vs["diff"]:+.2f} ({vs["low"]:+.2f}..{vs["high"]:+.2f})',
                f'{vs["better_people"]} of {vs["people"]}']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot_rounds(rows: Sequence[Dict], ann_files: Sequence[str], out_file: str) -> None:
    """NME (%) per round of each arm on each annotation file, the baselines as horizontal
    lines, and a last panel with each round's pseudo-label NME on the pool."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    arms = list(dict.fromkeys(r['arm'] for r in rows if 'arm' in r))
    fig, axes = plt.subplots(1, len(ann_files) + 1, figsize=(4.2 * (len(ann_files) + 1), 3.6))
    for ax, ann in zip(axes, ann_files):
        for arm in arms:
            arm_rows = [r for r in rows if r.get('arm') == arm]
            ax.plot([r['round'] for r in arm_rows],
                    [100 * r['metrics'][ann]['NME'] for r in arm_rows], 'o-', label=arm)
        for row in rows:
            if 'arm' not in row:
                ax.axhline(100 * row['metrics'][ann]['NME'], ls='--', lw=1, color='grey')
                ax.annotate(row['label'], (0, 100 * row['metrics'][ann]['NME']),
                            textcoords='offset points', xytext=(2, 2), fontsize=8)
        ax.set(title=osp.splitext(osp.basename(ann))[0], xlabel='round', ylabel='NME (%)')
        ax.legend(fontsize=8)
    for arm in arms:
        arm_rows = [r for r in rows if r.get('arm') == arm and r.get('pseudo_label_nme')]
        axes[-1].plot([r['round'] for r in arm_rows],
                      [100 * r['pseudo_label_nme'] for r in arm_rows], 'o-', label=arm)
    axes[-1].set(title="pseudo-labels against the pool's labels", xlabel='round',
                 ylabel='NME (%) of the labels a round trained on')
    axes[-1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_file, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0].replace('\n', ' '))
    parser.add_argument('config', help='the experiment config (its test pipeline and metric)')
    parser.add_argument('--arm', action='append', required=True, metavar='LABEL=WORK_DIR',
                        help='an STC run (stc/rounds.json, stc/round_R.pth); repeatable')
    parser.add_argument('--ann-file', nargs='+', required=True,
                        help="annotation files, relative to the test dataset's data_root "
                             '(the first is the one compared by person)')
    parser.add_argument('--baseline', action='append', default=[],
                        metavar='LABEL=CHECKPOINT', help='other checkpoints to list first')
    parser.add_argument('--compare-to', metavar='LABEL',
                        help='a baseline to compare every model with, by person')
    parser.add_argument('--plot', metavar='PNG', help='write the NME-per-round figure here')
    args = parser.parse_args()
    try:
        rows = stc_rows(args.config, _split_pairs(args.arm, '--arm'), args.ann_file,
                        _split_pairs(args.baseline, '--baseline'), args.compare_to)
    except InputError as error:
        raise SystemExit(f'stc_report: {error}')
    print(markdown_table(rows, args.ann_file))
    if args.plot:
        plot_rounds(rows, args.ann_file, args.plot)
        print(f'plot: {args.plot}')
    print(json.dumps([{k: v for k, v in r.items() if k not in ('per_face', 'persons')}
                      for r in rows]))


if __name__ == '__main__':
    main()
