"""Write the 3D mean face that head pose is estimated against: the Surrey Face Model's
mean shape (Huber et al., VISAPP 2016; the public 3448-vertex shape model of the eos
project) at the vertices its iBUG-68 mapping names, one line per point:
``ibug_index(0-based) x y z`` (model units, about mm; x to the subject's left, y up, z out
of the face). Needs ``pip install eos-py==1.5.0`` (only here; the package reads the table).

Example:
    python tools/make_head_pose_model.py SFM_DIR mmpose_pipnet/apis/head_pose_sfm68.txt
where SFM_DIR holds sfm_shape_3448.bin and ibug_to_sfm.txt.
"""
import argparse
import os.path as osp
import re

import numpy as np


def ibug_to_vertex(mapping_file: str) -> dict:
    """{0-based iBUG index: vertex} from eos's ibug_to_sfm.txt ``[landmark_mappings]``."""
    with open(mapping_file) as f:
        text = f.read().split('[landmark_mappings]')[1].split('[')[0]
    pairs = re.findall(r'^\s*(\d+)\s*=\s*(\d+)', text, re.M)
    return {int(ibug) - 1: int(vertex) for ibug, vertex in pairs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('sfm_dir', help='folder with sfm_shape_3448.bin and ibug_to_sfm.txt')
    parser.add_argument('out', help='table to write')
    args = parser.parse_args()
    import eos
    model = eos.morphablemodel.load_model(osp.join(args.sfm_dir, 'sfm_shape_3448.bin'))
    mean = np.asarray(model.get_shape_model().get_mean(), np.float64).reshape(-1, 3)
    mapping = ibug_to_vertex(osp.join(args.sfm_dir, 'ibug_to_sfm.txt'))
    with open(args.out, 'w') as f:
        f.write('# Surrey Face Model mean shape (sfm_shape_3448, eos project) at its iBUG-68 '
                'vertices: ibug_index(0-based) x y z\n')
        for index in sorted(mapping):
            x, y, z = mean[mapping[index]]
            f.write(f'{index} {x:.4f} {y:.4f} {z:.4f}\n')
    print(f'{args.out}: {len(mapping)} points')


if __name__ == '__main__':
    main()
