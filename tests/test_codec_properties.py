"""Property-based tests (hypothesis) of the PIP codec, the decoding and the loss: random
keypoints inside and outside the crop, every stride, batch sizes, missing points."""
import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import build_head, samples_from
from mmpose_pipnet.codecs import PIPLabel

SIZE = 256
CODEC = PIPLabel(input_size=(SIZE, SIZE), num_keypoints=68, meanface='300W')
STRIDES = st.sampled_from([16, 32, 64, 128])


@st.composite
def faces(draw, inside: bool = False):
    """(B, 68, 2) keypoints in crop pixels (inside the crop, or up to half a crop outside)
    with NaN for some missing points, and (B, 68) visibility."""
    batch = draw(st.integers(1, 4))
    low, high = (0.0, SIZE - 0.25) if inside else (-SIZE / 2, 1.5 * SIZE)
    points = draw(arrays(np.float32, (batch, 68, 2),
                         elements=st.floats(low, high, width=32, allow_nan=False)))
    visible = draw(arrays(np.bool_, (batch, 68), elements=st.booleans()))
    missing = draw(arrays(np.bool_, (batch, 68), elements=st.booleans()))
    points[missing & ~visible] = np.nan  # unlabelled points may come as NaN
    return points, visible.astype(np.float32)


def perfect_maps(labels: torch.Tensor, weights: torch.Tensor, grid: int):
    """Head outputs that are exactly the PIP targets of ``labels`` (B, K, 2)."""
    targets = CODEC.grid_targets(labels, weights, (grid, grid))
    batch, num_points = labels.shape[:2]
    num_nb = CODEC.num_neighbors
    cells = targets['cells']
    maps = [torch.zeros(batch, num_points * n, grid * grid) for n in (1, 1, 1, num_nb, num_nb)]
    rows = torch.arange(batch)[:, None]
    points = torch.arange(num_points)[None]
    maps[0][rows, points, cells] = 1
    maps[1][rows, points, cells] = targets['offsets'][..., 0]
    maps[2][rows, points, cells] = targets['offsets'][..., 1]
    for j in range(num_nb):
        maps[3][rows, points * num_nb + j, cells] = targets['nb_offsets'][:, :, j, 0]
        maps[4][rows, points * num_nb + j, cells] = targets['nb_offsets'][:, :, j, 1]
    return [m.reshape(batch, -1, grid, grid) for m in maps]


@settings(max_examples=30, deadline=None)
@given(face=faces(), stride=STRIDES)
def test_encode_then_decode_perfect_maps_gives_the_points_back(face, stride):
    """Encoding never fails or yields non-finite labels; missing points get weight 0; the
    targets decode (argmax, offsets, NRM merge) back to every labelled point, inside the
    crop or out, at every stride."""
    points, visible = face
    encoded = CODEC.encode(points, visible)
    labels, weights = encoded['keypoint_labels'], encoded['keypoint_weights']
    assert np.isfinite(labels).all()
    assert (weights[np.isnan(points).any(-1)] == 0).all()
    assert (weights[visible == 0] == 0).all()
    coords, scores = CODEC.decode_tensors(*perfect_maps(
        torch.from_numpy(labels), torch.from_numpy(weights), SIZE // stride))
    assert torch.isfinite(coords).all() and torch.isfinite(scores).all()
    np.testing.assert_allclose(coords.numpy(), labels, atol=2e-5)


@settings(max_examples=30, deadline=None)
@given(face=faces(inside=True), stride=STRIDES)
def test_points_inside_the_crop_round_trip_in_pixels(face, stride):
    points, visible = face
    known = np.isfinite(points).all(-1)
    encoded = CODEC.encode(points, visible)
    coords, _ = CODEC.decode_tensors(*perfect_maps(
        torch.from_numpy(encoded['keypoint_labels']),
        torch.from_numpy(encoded['keypoint_weights']), SIZE // stride))
    pixels = CODEC.to_input_pixels(coords.numpy())
    np.testing.assert_allclose(pixels[known], points[known], atol=5e-3)


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 3), stride=STRIDES, seed=st.integers(0, 2 ** 16),
       scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_decoding_any_maps_is_finite(batch, stride, seed, scale):
    """Arbitrary (even huge) head outputs decode to finite points and scores."""
    grid = SIZE // stride
    generator = torch.Generator().manual_seed(seed)
    maps = [scale * torch.randn(batch, 68 * n, grid, grid, generator=generator)
            for n in (1, 1, 1, 10, 10)]
    coords, scores = CODEC.decode_tensors(*maps)
    assert coords.shape == (batch, 68, 2) and scores.shape == (batch, 68)
    assert torch.isfinite(coords).all() and torch.isfinite(scores).all()


@settings(max_examples=20, deadline=None)
@given(face=faces(), stride=STRIDES)
def test_loss_is_finite_and_non_negative(face, stride):
    points, visible = face
    encoded = CODEC.encode(points, visible)
    head = build_head(stride=stride)
    feats = (torch.randn(len(points), 8, 8, 8), )
    losses = head.loss(feats, samples_from(encoded['keypoint_labels'],
                                           encoded['keypoint_weights']))
    for name, value in losses.items():
        assert torch.isfinite(value) and value >= 0, name


@settings(max_examples=20, deadline=None)
@given(face=faces(), stride=STRIDES, num_pools=st.integers(1, 3))
def test_pooled_targets_are_where_max_pooling_moves_the_point(face, stride, num_pools):
    """The codec's score-map target on the grid max-pooled 2x2 ``num_pools`` times (ceil
    mode, as PIPHead pools for coarse score maps) is the pooled one-hot target of the head's
    own grid, for any point, in or out of the crop, at every stride."""
    points, visible = face
    encoded = CODEC.encode(points, visible)
    labels = torch.from_numpy(encoded['keypoint_labels'])
    weights = torch.from_numpy(encoded['keypoint_weights'])
    grid = (SIZE // stride, ) * 2
    pooled = CODEC.grid_targets(labels, weights, grid)['heatmaps']
    for _ in range(num_pools):
        pooled = torch.nn.functional.max_pool2d(pooled, 2, ceil_mode=True)
    torch.testing.assert_close(CODEC.grid_targets(labels, weights, grid, num_pools)['heatmaps'],
                               pooled)
