"""Plot the cumulative error curves of one or more result files to a PNG.

Result files are the per-face NMEs that tools/test.py writes with --nme-out PREFIX
(PREFIX.nme.json). Example:
    python tools/analysis/plot_ced.py a.nme.json b.nme.json --labels A B --out ced.png
"""
import argparse
import json
from typing import List, Optional, Sequence

import numpy as np

from mmpose_pipnet.evaluation import failure_rate_and_auc


def load_nmes(path: str) -> np.ndarray:
    """Per-face NMEs (fractions) from a ``*.nme.json`` written by ``NMEFailureAUC``."""
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict) or 'nme' not in data:
        raise ValueError(f'{path}: expected a json with a list "nme" (written by '
                         f'tools/test.py --nme-out)')
    return np.asarray(data['nme'], dtype=np.float64)


def plot_ced(nme_files: Sequence[str], out_file: str, labels: Optional[List[str]] = None,
             threshold: float = 0.1) -> None:
    """Plot the share of faces with NME <= x for x in [0, threshold], one curve a file;
    the legend gives each curve's mean per-face NME, FR@threshold and AUC@threshold."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    labels = list(labels) if labels else [f.rsplit('/', 1)[-1] for f in nme_files]
    if len(labels) != len(nme_files):
        raise ValueError(f'{len(labels)} labels for {len(nme_files)} result files')
    xs = np.linspace(0, threshold, 501)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for path, label in zip(nme_files, labels):
        nmes = np.sort(load_nmes(path))
        ys = np.searchsorted(nmes, xs, side='right') / len(nmes)
        fr, auc = failure_rate_and_auc(nmes, threshold)
        ax.plot(xs * 100, ys * 100, label=f'{label}: mean NME {nmes.mean() * 100:.2f}%, '
                                          f'FR {fr * 100:.2f}%, AUC {auc:.4f}')
    ax.set_xlabel('NME (%)')
    ax.set_ylabel('faces with NME <= x (%)')
    ax.set_xlim(0, threshold * 100)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(loc='lower right', fontsize=8)
    ax.set_title('Cumulative error distribution')
    fig.tight_layout()
    fig.savefig(out_file, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('results', nargs='+', help='*.nme.json files')
    parser.add_argument('--labels', nargs='+', help='one legend label per file')
    parser.add_argument('--threshold', type=float, default=0.1,
                        help='NME range of the plot and FR/AUC threshold (fraction)')
    parser.add_argument('--out', required=True, help='PNG to write')
    args = parser.parse_args()
    plot_ced(args.results, args.out, args.labels, args.threshold)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
