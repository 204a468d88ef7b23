"""Split landmark csv files by person into a training part and a held-out part.

The person is the image file name minus its trailing ``_NN``; whole people go to one side.
Example (what tools/prepare_ytf68.sh runs):
    python tools/dataset_converters/split_by_person.py data/ytf68/train.csv \
        data/ytf68/val.csv --out-train data/ytf68_person/train.csv \
        --out-held-out data/ytf68_person/held_out.csv
With ``--pool DIR --out-pool DIR`` it also links the unlabelled images of every person not
held out into ``--out-pool`` (a self-training pool without the evaluation's people).

ytf68's ``val.csv`` holds other frames of the same people as ``train.csv``, so it flatters
a model. Here every row of the input csv files is assigned to its person (the image file
name minus its extension and trailing ``_NN``: ``train/Luis_Fonsi_21.jpg`` ->
``Luis_Fonsi``), and whole people go to either the training part or the held-out part.
The image column keeps its folder prefix (``train/`` and ``test/`` hold different frames
with the same names), and the output csv files have the input's header.

The choice is deterministic: people are ordered by the SHA-1 of ``f'{seed}:{person}'`` and
the first ``round(held_out_fraction * num_people)`` are held out, so the split does not
depend on row order, file order or the platform.
"""
import argparse
import csv
import hashlib
import os
import os.path as osp
import re
from typing import Dict, List, Sequence, Tuple

_FRAME_SUFFIX = re.compile(r'_\d+$')


def person_of(image: str) -> str:
    """The person of an image path: its file name minus extension and trailing ``_NN``."""
    stem = osp.splitext(osp.basename(image))[0]
    return _FRAME_SUFFIX.sub('', stem)


def _read_rows(csv_files: Sequence[str]) -> Tuple[List[str], List[List[str]]]:
    header, rows = None, []
    for csv_file in csv_files:
        with open(csv_file, newline='') as f:
            table = list(csv.reader(f))
        if not table or not table[0] or table[0][0] != 'image':
            raise ValueError(f'{csv_file}: expected a header row starting with "image"')
        if header is not None and table[0] != header:
            raise ValueError(f'{csv_file}: its header differs from {csv_files[0]}\'s '
                             f'(the files must have the same columns)')
        header = table[0]
        rows.extend(table[1:])
    return header, rows


def held_out_people(people: Sequence[str], held_out_fraction: float,
                    seed: int = 0) -> List[str]:
    """The people to hold out: the first ``round(fraction * len)`` by seeded SHA-1 order."""
    if not 0 < held_out_fraction < 1:
        raise ValueError(f'held_out_fraction={held_out_fraction} must be in (0, 1)')
    unique = sorted(set(people))
    order = sorted(unique,
                   key=lambda p: hashlib.sha1(f'{seed}:{p}'.encode()).hexdigest())
    num_held_out = max(1, round(held_out_fraction * len(unique)))
    if num_held_out >= len(unique):
        raise ValueError(f'{len(unique)} people cannot be split with held_out_fraction='
                         f'{held_out_fraction}')
    return sorted(order[:num_held_out])


def split_csv_by_person(csv_files: Sequence[str], out_train: str, out_held_out: str,
                        held_out_fraction: float = 0.2, seed: int = 0) -> Dict[str, int]:
    """Write the rows of ``csv_files`` to two csv files with no person in common.

    Args:
        csv_files: landmark csv files ``image,x0,y0,...`` with the same header
        out_train: csv for the training part
        out_held_out: csv for the held-out people
        held_out_fraction: share of PEOPLE (not rows) held out, in (0, 1)
        seed: changes which people are held out

    Returns:
        dict: faces and people in each part (``train_faces``, ``train_people``,
        ``held_out_faces``, ``held_out_people``)
    """
    header, rows = _read_rows(csv_files)
    people = [person_of(row[0]) for row in rows]
    held_out = set(held_out_people(people, held_out_fraction, seed))
    parts = {out_train: [], out_held_out: []}
    for row, person in zip(rows, people):
        parts[out_held_out if person in held_out else out_train].append(row)
    for out_file, part_rows in parts.items():
        if osp.dirname(out_file):
            os.makedirs(osp.dirname(out_file), exist_ok=True)
        with open(out_file, 'w', newline='') as f:
            csv.writer(f).writerows([header] + part_rows)
    return dict(train_faces=len(parts[out_train]),
                train_people=len(set(people) - held_out),
                held_out_faces=len(parts[out_held_out]), held_out_people=len(held_out))


def link_pool_without_people(pool_dir: str, exclude_csv: str, out_dir: str) -> Dict[str, int]:
    """Symlink into ``out_dir`` the images of ``pool_dir`` whose person is not in
    ``exclude_csv`` (e.g. the held-out people), so that a self-training pool never holds
    frames of the people it is evaluated on. ``out_dir`` is emptied of links first.

    Returns:
        dict: ``linked`` and ``excluded`` image counts
    """
    _, rows = _read_rows([exclude_csv])
    excluded_people = {person_of(row[0]) for row in rows}
    if not osp.isdir(pool_dir):
        raise FileNotFoundError(f'pool folder {pool_dir} not found')
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):
        if osp.islink(osp.join(out_dir, name)):
            os.remove(osp.join(out_dir, name))
    counts = dict(linked=0, excluded=0)
    for name in sorted(os.listdir(pool_dir)):
        if person_of(name) in excluded_people:
            counts['excluded'] += 1
            continue
        os.symlink(osp.abspath(osp.join(pool_dir, name)), osp.join(out_dir, name))
        counts['linked'] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('csv', nargs='+', help='csv files with a header image,x0,y0,...')
    parser.add_argument('--out-train', required=True, help='csv for the training part')
    parser.add_argument('--out-held-out', required=True, help='csv for the held-out people')
    parser.add_argument('--held-out-fraction', type=float, default=0.2,
                        help='share of people held out (default 0.2)')
    parser.add_argument('--seed', type=int, default=0, help='changes who is held out')
    parser.add_argument('--pool', help='a folder of unlabelled images to filter')
    parser.add_argument('--out-pool', help='folder for links to the --pool images of people '
                        'not held out')
    args = parser.parse_args()
    if (args.pool is None) != (args.out_pool is None):
        raise SystemExit('split_by_person: --pool and --out-pool go together')
    counts = split_csv_by_person(args.csv, args.out_train, args.out_held_out,
                                 args.held_out_fraction, args.seed)
    print(f"{args.out_train}: {counts['train_faces']} faces of {counts['train_people']} "
          f"people; {args.out_held_out}: {counts['held_out_faces']} faces of "
          f"{counts['held_out_people']} people")
    if args.pool is not None:
        linked = link_pool_without_people(args.pool, args.out_held_out, args.out_pool)
        print(f"{args.out_pool}: {linked['linked']} images linked, {linked['excluded']} of "
              f"held-out people left out")


if __name__ == '__main__':
    main()
