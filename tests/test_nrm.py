"""Mean face I/O, neighbours and the cyclically padded reverse index vs the reference."""
import json

import numpy as np
import pytest

from mmpose_pipnet.nrm import (BUILTIN_MEANFACES, compute_neighbors, load_meanface,
                               meanface_from_coco, reverse_index, save_meanface)


def reference_neighbors(meanface, num_nb):
    """Literal reference: argsort of squared distance, skip the first (the point itself)."""
    out = []
    for i in range(len(meanface)):
        d2 = np.sum((meanface[i] - meanface) ** 2, axis=1)
        out.append(list(np.argsort(d2, kind='stable')[1:num_nb + 1]))
    return np.array(out)


def reference_reverse_index(neighbors):
    """Literal reference: lists of (i, j) per landmark, padded cyclically to max_len."""
    num_points, num_nb = neighbors.shape
    lists = []
    for k in range(num_points):
        lists.append([(i, j) for i in range(num_points) for j in range(num_nb)
                      if neighbors[i][j] == k])
    max_len = max(len(lst) for lst in lists)
    padded = []
    for lst in lists:
        rep = lst * (max_len // len(lst) + 1)
        padded.append(rep[:max_len])
    return padded, max_len


@pytest.mark.parametrize('name,max_len', [('WFLW', 17), ('300W', 22), ('COFW', 19),
                                          ('AFLW', 18), ('LaPa', 20)])
def test_reference_max_len_and_reverse_index(name, max_len):
    meanface = load_meanface(name)
    neighbors = compute_neighbors(meanface, 10)
    np.testing.assert_array_equal(neighbors, reference_neighbors(meanface, 10))
    rev_i, rev_j, got_len = reverse_index(neighbors)
    assert got_len == max_len
    expected, _ = reference_reverse_index(neighbors)
    got = [list(zip(rev_i[k].tolist(), rev_j[k].tolist())) for k in range(len(meanface))]
    assert got == expected


def test_builtin_meanfaces_load():
    for name in BUILTIN_MEANFACES:
        meanface = load_meanface(name.lower())
        assert meanface.ndim == 2 and meanface.shape[1] == 2
        assert np.all((meanface > -0.5) & (meanface < 1.5))


def test_bad_meanface_files(tmp_path):
    odd = tmp_path / 'odd.txt'
    odd.write_text('0.1 0.2 0.3')
    with pytest.raises(ValueError, match='expected 2K floats'):
        load_meanface(str(odd))
    with pytest.raises(FileNotFoundError, match='neither a built-in'):
        load_meanface(str(tmp_path / 'missing.txt'))
    with pytest.raises(ValueError, match='num_nb=68 must be in'):
        compute_neighbors(load_meanface('300W'), 68)


def test_save_load_round_trip(tmp_path):
    meanface = load_meanface('COFW')
    save_meanface(meanface, str(tmp_path / 'm.txt'))
    np.testing.assert_allclose(load_meanface(str(tmp_path / 'm.txt')), meanface, atol=1e-6)


def test_meanface_from_coco(tmp_path):
    anns = [dict(keypoints=[10, 10, 1, 30, 10, 1, 20, 30, 2], bbox=[10, 10, 20, 20],
                 num_keypoints=3),
            dict(keypoints=[0, 0, 1, 40, 0, 1, 20, 40, 1], bbox=[0, 0, 40, 40],
                 num_keypoints=3)]
    path = tmp_path / 'a.json'
    path.write_text(json.dumps(dict(annotations=anns)))
    np.testing.assert_allclose(meanface_from_coco(str(path)),
                               [[0, 0], [1, 0], [0.5, 1]])


def test_point_that_is_no_ones_neighbour():
    # 0 -> 1, 1 -> 0, 2 -> 0: nobody votes for 2; its row is -1 (own prediction only)
    neighbors = compute_neighbors(np.array([[0.1, 0.1], [0.9, 0.1], [0.5, 0.9]]), 1)
    np.testing.assert_array_equal(neighbors[:, 0], [1, 0, 0])
    rev_i, rev_j, max_len = reverse_index(neighbors)
    assert max_len == 2
    np.testing.assert_array_equal(rev_i, [[1, 2], [0, 0], [-1, -1]])
    np.testing.assert_array_equal(rev_j, [[0, 0], [0, 0], [-1, -1]])
