"""PIPLabel: targets and decoding vs literal per-landmark loops written from PIPNet's
description (Jin, Liao & Shao, IJCV 2021, arXiv 2003.03771); the shared cell maths."""
import math

import numpy as np
import pytest
import torch

from mmpose_pipnet.codecs import PIPLabel
from mmpose_pipnet.codecs.pip_label import gather_at_cells, pooled_grid_size


def make_codec(name='300W', k=68, size=256):
    return PIPLabel(input_size=(size, size), num_keypoints=k, meanface=name)


def reference_targets(lms, neighbors, width, height):
    """The targets of one image, literally: lms (K, 2) normalised."""
    num_points, num_nb = neighbors.shape
    cls = np.zeros((num_points, height, width))
    off_x, off_y = np.zeros(num_points), np.zeros(num_points)
    nb_x, nb_y = np.zeros((num_points, num_nb)), np.zeros((num_points, num_nb))
    for i in range(num_points):
        cx = min(max(int(math.floor(lms[i, 0] * width)), 0), width - 1)
        cy = min(max(int(math.floor(lms[i, 1] * height)), 0), height - 1)
        cls[i, cy, cx] = 1
        off_x[i] = lms[i, 0] * width - cx
        off_y[i] = lms[i, 1] * height - cy
        for j in range(num_nb):
            n = neighbors[i][j]
            nb_x[i, j] = lms[n, 0] * width - cx
            nb_y[i, j] = lms[n, 1] * height - cy
    return cls, off_x, off_y, nb_x, nb_y


def reference_decode(cls, off_x, off_y, nb_x, nb_y, neighbors):
    """The NRM-merged decoding of one image, literally, with the cyclically padded reverse
    index."""
    num_points, height, width = cls.shape
    num_nb = neighbors.shape[1]
    lists = [[(i, j) for i in range(num_points) for j in range(num_nb)
              if neighbors[i][j] == k] for k in range(num_points)]
    max_len = max(len(lst) for lst in lists)
    lists = [(lst * (max_len // len(lst) + 1))[:max_len] for lst in lists]
    own, nbs = np.zeros((num_points, 2)), np.zeros((num_points, num_nb, 2))
    for i in range(num_points):
        idx = int(np.argmax(cls[i].reshape(-1)))
        gx, gy = idx % width, idx // width
        own[i] = [(gx + off_x[i].reshape(-1)[idx]) / width,
                  (gy + off_y[i].reshape(-1)[idx]) / height]
        for j in range(num_nb):
            nbs[i, j] = [(gx + nb_x[num_nb * i + j].reshape(-1)[idx]) / width,
                         (gy + nb_y[num_nb * i + j].reshape(-1)[idx]) / height]
    merged = np.zeros((num_points, 2))
    for k in range(num_points):
        votes = [own[k]] + [nbs[i, j] for i, j in lists[k]]
        merged[k] = np.mean(votes, axis=0)
    return merged


@pytest.mark.parametrize('grid', [(8, 8), (16, 16), (4, 4), (2, 2)])
def test_grid_targets_match_reference_loop(grid):
    codec = make_codec()
    rng = np.random.default_rng(0)
    # include points outside the crop: their cell clamps to the border
    labels = rng.uniform(-0.2, 1.2, (3, 68, 2)).astype(np.float32)
    weights = np.ones((3, 68), np.float32)
    out = codec.grid_targets(torch.from_numpy(labels), torch.from_numpy(weights), grid)
    width, height = grid
    for b in range(3):
        cls, ox, oy, nbx, nby = reference_targets(labels[b].astype(np.float64),
                                                  codec.neighbors, width, height)
        cells = out['cells'][b].numpy()
        onehot = np.zeros((68, height * width))
        onehot[np.arange(68), cells] = 1
        np.testing.assert_array_equal(onehot.reshape(cls.shape), cls)
        np.testing.assert_array_equal(out['heatmaps'][b], cls)
        np.testing.assert_allclose(out['offsets'][b, :, 0], ox, atol=1e-5)
        np.testing.assert_allclose(out['offsets'][b, :, 1], oy, atol=1e-5)
        np.testing.assert_allclose(out['nb_offsets'][b, ..., 0], nbx, atol=1e-5)
        np.testing.assert_allclose(out['nb_offsets'][b, ..., 1], nby, atol=1e-5)


@pytest.mark.parametrize('grid', [(8, 8), (6, 6), (7, 5)])
def test_pooled_targets_are_the_max_pooled_one_hot_maps(grid):
    """The score-map target after n ceil-mode 2x2 max-pools is the head grid's one-hot map
    max-pooled n times: the codec's pooled cells are where PIPHead's pooled maps put the
    point (points outside the crop included); its offsets are in pooled cells."""
    codec = make_codec()
    labels = torch.from_numpy(np.random.default_rng(3).uniform(-0.2, 1.2, (2, 68, 2))
                              .astype(np.float32))
    fine = codec.grid_targets(labels, torch.ones(2, 68), grid)
    np.testing.assert_array_equal(
        fine['heatmaps'].flatten(2).argmax(-1), fine['cells'])
    pooled_map = fine['heatmaps']
    for num_pools in (1, 2, 3):
        pooled_map = torch.nn.functional.max_pool2d(pooled_map, 2, ceil_mode=True)
        coarse = codec.grid_targets(labels, torch.ones(2, 68), grid, num_pools)
        width, height = pooled_grid_size(grid, num_pools)
        assert coarse['heatmaps'].shape == pooled_map.shape == (2, 68, height, width)
        torch.testing.assert_close(coarse['heatmaps'], pooled_map)
        cell_xy = torch.stack([coarse['cells'] % width, coarse['cells'] // width], -1)
        torch.testing.assert_close(coarse['offsets'] + cell_xy,
                                   labels * torch.tensor(grid) / 2 ** num_pools)


def test_gather_at_cells_is_the_per_point_lookup():
    rng = np.random.default_rng(4)
    maps = torch.from_numpy(rng.normal(size=(2, 3 * 4, 5, 6)))  # K=3 points, P=4 channels
    cells = torch.from_numpy(rng.integers(0, 30, (2, 3)))
    out = gather_at_cells(maps, cells)
    assert out.shape == (2, 3, 4)
    for b in range(2):
        for i in range(3):
            for j in range(4):
                cy, cx = divmod(int(cells[b, i]), 6)
                assert out[b, i, j] == maps[b, 4 * i + j, cy, cx]


def test_out_of_crop_points_clamp_to_border_cells():
    codec = make_codec()
    labels = torch.zeros(1, 68, 2) + 0.5
    labels[0, 0] = torch.tensor([-0.1, 1.3])  # left of and below the crop
    out = codec.grid_targets(labels, torch.ones(1, 68), (8, 8))
    assert out['cells'][0, 0] == 7 * 8 + 0  # row 7, column 0
    np.testing.assert_allclose(out['offsets'][0, 0], [-0.8, 10.4 - 7], atol=1e-5)


def test_decode_matches_reference_loop():
    codec = make_codec('WFLW', 98)
    rng = np.random.default_rng(1)
    shape = (2, 98, 8, 8)
    cls, ox, oy = (rng.normal(size=shape).astype(np.float32) for _ in range(3))
    nbx, nby = (rng.normal(size=(2, 980, 8, 8)).astype(np.float32) for _ in range(2))
    coords, scores = codec.decode_normalized(*map(torch.from_numpy, (cls, ox, oy, nbx, nby)))
    for b in range(2):
        expected = reference_decode(cls[b], ox[b], oy[b], nbx[b], nby[b], codec.neighbors)
        np.testing.assert_allclose(coords[b], expected, atol=1e-5)
        np.testing.assert_allclose(scores[b], cls[b].reshape(98, -1).max(-1), atol=1e-6)


def test_encode_decode_round_trip():
    codec = make_codec()
    rng = np.random.default_rng(2)
    keypoints = rng.uniform(-20, 270, (4, 68, 2)).astype(np.float32)  # input-crop px
    labels = np.concatenate([codec.encode(k[None])['keypoint_labels'] for k in keypoints])
    targets = codec.grid_targets(torch.from_numpy(labels), torch.ones(4, 68), (8, 8))
    # maps that hold the targets at each point's own cell (neighbour votes are exact too)
    cls = torch.zeros(4, 68, 64).scatter_(2, targets['cells'][..., None], 1.0)
    index = targets['cells'][..., None]
    maps = [torch.zeros(4, 68, 64).scatter_(2, index, targets['offsets'][..., a:a + 1])
            for a in range(2)]
    nb_index = index[:, :, None].expand(-1, -1, 10, 1).reshape(4, 680, 1)
    nb_maps = [torch.zeros(4, 680, 64).scatter_(
        2, nb_index, targets['nb_offsets'][..., a].reshape(4, 680, 1)) for a in range(2)]
    kpts, scores = codec.batch_decode(cls.view(4, 68, 8, 8), *[m.view(4, 68, 8, 8) for m in maps],
                                      *[m.view(4, 680, 8, 8) for m in nb_maps])
    np.testing.assert_allclose(np.concatenate(kpts), keypoints, atol=1e-3)
    np.testing.assert_allclose(np.concatenate(scores), 1.0)


def test_encode_weights_and_errors():
    codec = make_codec()
    keypoints = np.full((1, 68, 2), 100.0, np.float32)
    keypoints[0, 3] = np.nan
    visible = np.ones((1, 68), np.float32)
    visible[0, 5] = 0
    encoded = codec.encode(keypoints, visible)
    assert encoded['keypoint_weights'][0, 3] == 0 and encoded['keypoint_weights'][0, 5] == 0
    assert encoded['keypoint_weights'].sum() == 66
    assert np.isfinite(encoded['keypoint_labels']).all()
    with pytest.raises(ValueError, match=r'expected \(N, 68, 2\)'):
        codec.encode(np.zeros((1, 98, 2), np.float32))


def test_codec_build_errors(tmp_path):
    with pytest.raises(ValueError, match='has K=68 points but num_keypoints=98'):
        PIPLabel(input_size=(256, 256), num_keypoints=98, meanface='300W')
    with pytest.raises(ValueError, match='num_neighbors=19 must be in'):
        PIPLabel(input_size=(256, 256), meanface='AFLW', num_neighbors=19)
    encoder_only = PIPLabel(input_size=(256, 256))
    assert encoder_only.encode(np.zeros((1, 5, 2), np.float32))['keypoint_labels'].shape == \
        (1, 5, 2)
    with pytest.raises(ValueError, match='needs the neighbours'):
        encoder_only.decode_normalized(*[np.zeros((1, 5, 2, 2))] * 5)
