"""Fuzzing the entry points with a generated corpus of image files, bad boxes and bad
arrays (issue 24).

The corpus (``build_corpus``, seeded, 224 files) is made from matplotlib's
grace_hopper.jpg: the JPEG, PNG and WebP truncated at random offsets, the JPEG with
random bytes overwritten, zero-byte files, wrong extensions, text, PostScript and random
bytes, decompression bombs (a 24 kB PNG of 20000 x 10000 pixels, a JPEG header declaring
60000 x 60000), 1 x 1 / 2 x 4000 / 4000 x 2 images, grey, grey + alpha, RGBA, palette,
1-bit, 16-bit PNG and TIFF, float TIFF, CMYK and progressive JPEG, BMP, WebP, GIF (one
frame and animated), and the photo stored rotated or mirrored under each EXIF orientation 2-8
(JPEG; 3, 6, 8 also PNG and WebP) so that the DISPLAYED image is upright; a 12000 x 9000
JPEG with her face pasted at 200 px is made apart (``huge_image``).

The contract, for every file through ``FaceLandmarker`` (by path) and ``LoadFaceImage``
(alone and in the model's test pipeline): faces with finite landmarks, or a one-line
``InputError`` naming the file; nothing else raised, no call over ``CALL_TIMEOUT_S``. Each
file is one of three kinds: ``face`` (a whole photo: exactly one face, its landmarks within
``FACE_TOLERANCE_PX`` of the upright photo's, after the paste's scale and offset), ``error``
(not an image: ``InputError``) or ``any`` (damaged: either). ``LoadFaceImage`` gives the
same pixels as ``read_image``. A representative subset (``SUBSET``: every format, every
EXIF orientation kind, tiny images, one of each damage) goes through ``PIPNetInferencer``,
``FaceLandmarker`` with the ONNX Runtime backend and ``PIPNetONNXPredictor``, and the CLI
(``main`` in-process, one run as a subprocess). What the fuzzing found, and fixed at the
root, is kept here: ValueError instead of InputError from ``read_image``, a truncated JPEG
read by ``read_image`` but refused by ``LoadFaceImage``, GIF unreadable, WebP EXIF
orientation ignored (the inferencer's detector and pose pipeline disagreeing too), a
200 px face in a 12000 x 9000 image not found, a (4,) box read as four boxes, NaN /
inverted / zero-area / outside / overflowing boxes giving NaN or blank-crop landmarks, a
24 kB PNG declaring 200 million pixels decoded into 572 MiB (a decompression bomb: now
refused from its header, as Pillow refuses), PostScript handed to Pillow, which renders
it with Ghostscript where installed (now only GIF reaches Pillow's decoders).
"""
import hashlib
import io
import json
import os.path as osp
import re
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Callable, List, Tuple

import cv2
import matplotlib.cbook
import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from conftest import REPO
from mmpose_pipnet.apis import DEFAULT_CHECKPOINT, DEFAULT_CONFIG, FaceLandmarker, read_image
from mmpose_pipnet.apis.face_detection import (FaceDetector, suppress_overlaps,
                                               tile_starts)
from mmpose_pipnet.apis.model_zoo import DEFAULT_FACE_DETECTOR
from mmpose_pipnet.datasets.transforms import LoadFaceImage
from mmpose_pipnet.utils import InputError

GRACE = str(matplotlib.cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))
SEED = 24
MIN_CORPUS = 200
CALL_TIMEOUT_S = 60  # one call on a 600 x 512 image takes under 1 s here
HUGE_TIMEOUT_S = 120  # the 12000 x 9000 image: about 3 s to decode, 8 s to detect
# mean landmark distance to the upright photo's: measured at most 0.9 px over the 'face'
# files (grey: 0.9, lossy WebP: 0.4) and 1.1 px on the huge image, her face ~180 px wide
FACE_TOLERANCE_PX = 3.0
HUGE_SHAPE = (9000, 12000)
HUGE_FACE_SIDE = 200  # px, her detector box is ~180 px in the 600 x 512 photo
# Peak RSS above the process's RSS before the call, per byte of the decoded image
# (324 MB): measured 1.9-2.0 (OpenCV's JPEG decoder peaks at twice the image; the
# pyramid's levels add 13 MB)
HUGE_MEMORY_RATIO = 2.5
SUBSET = ('gray16.png', 'bgra16.png', 'cmyk.jpg', 'single.gif', 'animated.gif',
          'lossy.webp', 'rgba_transparent_border.png', 'exif_orientation_6.jpg',
          'exif_orientation_7.jpg', 'exif_orientation_8.webp', 'tiny_1x1.png',
          'tiny_2x4000.png', 'empty.jpg', 'text_named.png', 'random_bytes.jpg',
          'bomb_20000x10000.png', 'postscript_named.jpg',
          'truncated_jpg_00', 'truncated_png_00', 'truncated_webp_00', 'corrupt_jpg_00')
# the CLI loads the model on each call: fewer files (each error kind, three formats)
CLI_SUBSET = ('gray16.png', 'single.gif', 'exif_orientation_8.webp', 'empty.jpg',
              'text_named.png', 'random_bytes.jpg', 'truncated_jpg_00', 'truncated_png_00',
              'truncated_webp_00')
# stored pixels = the inverse of the EXIF orientation's transform: displayed upright
INVERSE_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270}


@dataclass
class Case:
    """One corpus file: ``kind`` 'face' (whole photo), 'error' (no image) or 'any'
    (damaged); a 'face' file's landmarks are the upright photo's * ``scale`` +
    ``offset`` (x, y pixels)."""
    path: str
    kind: str
    scale: float = 1.0
    offset: Tuple[float, float] = (0.0, 0.0)

    @property
    def name(self) -> str:
        return osp.basename(self.path)


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def build_corpus(root: str, seed: int = SEED) -> List[Case]:
    """Write the corpus into ``root`` (same bytes for the same seed); its cases."""
    rng = np.random.default_rng(seed)
    cases = []

    def add(name: str, data: bytes, kind: str) -> None:
        with open(osp.join(root, name), 'wb') as f:
            f.write(data)
        cases.append(Case(osp.join(root, name), kind))

    with open(GRACE, 'rb') as f:
        jpeg = f.read()
    bgr = cv2.imread(GRACE)
    rgb = Image.fromarray(bgr[..., ::-1])
    png, webp = encode(rgb, 'PNG'), encode(rgb, 'WEBP', quality=90)
    gif = encode(rgb.quantize(256), 'GIF')
    for fmt, data, count in (('jpg', jpeg, 80), ('png', png, 30), ('webp', webp, 10)):
        cuts = np.sort(rng.choice(np.arange(1, len(data)), count, replace=False))
        for i, cut in enumerate(cuts):
            add(f'truncated_{fmt}_{i:02d}_{cut}.{fmt}', data[:cut], 'any')
    for i in range(40):
        data = np.frombuffer(jpeg, np.uint8).copy()
        where = rng.integers(0, len(data), rng.integers(1, 9))
        data[where] = rng.integers(0, 256, len(where))
        add(f'corrupt_jpg_{i:02d}.jpg', data.tobytes(), 'any')
    for ext in ('jpg', 'jpeg', 'png', 'webp', 'gif', 'bmp', 'tif'):
        add(f'empty.{ext}', b'', 'error')
    for name, data in (('png_named.jpg', png), ('jpeg_named.png', jpeg),
                       ('webp_named.jpg', webp), ('gif_named.png', gif)):
        add(name, data, 'face')
    for name, data in (('text_named.png', b'not an image\n' * 10), ('text_named.jpg', b'hi'),
                       ('html_named.jpg', b'<html><body>404</body></html>'),
                       ('random_bytes.jpg', rng.integers(0, 256, 5000, np.uint8).tobytes()),
                       ('jpeg_header_only.jpg', jpeg[:2]),
                       # PostScript: Pillow would render it by running Ghostscript
                       ('postscript_named.jpg', b'%!PS-Adobe-3.0 EPSF-3.0\n'
                        b'%%BoundingBox: 0 0 10 10\n0 0 moveto 10 10 lineto stroke\n'
                        b'showpage\n%%EOF\n'),
                       ('png_signature_only.png', png[:8])):
        add(name, data, 'error')
    for height, width in ((1, 1), (2, 4000), (4000, 2), (3, 3)):
        tiny = rng.integers(0, 256, (height, width, 3), np.uint8)
        for ext in ('png', 'jpg'):
            add(f'tiny_{height}x{width}.{ext}', cv2.imencode(f'.{ext}', tiny)[1].tobytes(),
                'any')
    add('tiny_1x1_gray.png', encode(Image.new('L', (1, 1), 7), 'PNG'), 'any')
    gray = rgb.convert('L')
    rgba = np.dstack([np.asarray(rgb), np.zeros(bgr.shape[:2], np.uint8)])
    rgba[60:540, 60:450, 3] = 255  # transparent black border
    rgba[rgba[..., 3] == 0, :3] = 0
    rgba = Image.fromarray(rgba)
    opaque = np.full(bgr.shape[:2], 255, np.uint8)
    for name, data in (
            ('gray.jpg', encode(gray, 'JPEG', quality=95)), ('gray.png', encode(gray, 'PNG')),
            ('gray_alpha.png', encode(rgb.convert('LA'), 'PNG')),
            ('rgba_opaque.png', encode(rgb.convert('RGBA'), 'PNG')),
            ('rgba_transparent_border.png', encode(rgba, 'PNG')),
            ('rgba.webp', encode(rgba, 'WEBP', lossless=True)),
            ('palette.png', encode(rgb.quantize(256), 'PNG')),
            ('gray16.png', cv2.imencode('.png', cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
                                        .astype(np.uint16) * 257)[1].tobytes()),
            ('bgr16.png', cv2.imencode('.png', bgr.astype(np.uint16) * 257)[1].tobytes()),
            ('bgra16.png', cv2.imencode('.png', np.dstack([bgr, opaque]).astype(np.uint16)
                                        * 257)[1].tobytes()),
            ('bgr16.tif', cv2.imencode('.tif', bgr.astype(np.uint16) * 257)[1].tobytes()),
            ('float32.tif', cv2.imencode('.tif', bgr.astype(np.float32) / 255)[1].tobytes()),
            ('cmyk.jpg', encode(rgb.convert('CMYK'), 'JPEG', quality=95)),
            ('progressive.jpg', encode(rgb, 'JPEG', quality=90, progressive=True)),
            ('bmp.bmp', encode(rgb, 'BMP')), ('tiff.tif', encode(rgb, 'TIFF')),
            ('lossy.webp', webp), ('lossless.webp', encode(rgb, 'WEBP', lossless=True)),
            ('single.gif', gif),
            ('animated.gif', encode(rgb.quantize(256), 'GIF', save_all=True, append_images=[
                Image.new('RGB', rgb.size, (0, 128, 0)).quantize(256)]))):
        add(name, data, 'face')
    # decompression bombs: small files declaring 200 million and 3.6 billion pixels
    add('bomb_20000x10000.png', encode(Image.new('1', (20000, 10000)), 'PNG'), 'error')
    sof = jpeg.index(b'\xff\xc0') + 5  # baseline frame header: height, width (uint16)
    add('bomb_60000x60000.jpg', jpeg[:sof] + struct.pack('>HH', 60000, 60000) +
        jpeg[sof + 4:], 'error')
    add('bilevel.png', encode(rgb.convert('1'), 'PNG'), 'any')
    add('bgr16_12bit.png', cv2.imencode('.png', bgr.astype(np.uint16) * 16)[1].tobytes(),
        'any')  # dark: 12-bit values in 16 bits
    for tag, transpose in INVERSE_ORIENTATION.items():
        exif = Image.Exif()
        exif[0x0112] = tag
        stored = rgb.transpose(transpose)
        add(f'exif_orientation_{tag}.jpg',
            encode(stored, 'JPEG', quality=95, exif=exif.tobytes()), 'face')
        if tag in (3, 6, 8):
            add(f'exif_orientation_{tag}.png', encode(stored, 'PNG', exif=exif.tobytes()),
                'face')
            add(f'exif_orientation_{tag}.webp',
                encode(stored, 'WEBP', quality=95, exif=exif.tobytes()), 'face')
    return cases


def huge_image(path: str) -> Case:
    """A 12000 x 9000 JPEG (grey ramp) with the photo pasted so that her face box is
    about ``HUGE_FACE_SIDE`` px."""
    scale = HUGE_FACE_SIDE / 180
    photo = cv2.resize(cv2.imread(GRACE), None, fx=scale, fy=scale,
                       interpolation=cv2.INTER_AREA)
    canvas = np.empty((*HUGE_SHAPE, 3), np.uint8)
    canvas[:] = np.linspace(60, 200, HUGE_SHAPE[1], dtype=np.uint8)[None, :, None]
    x, y = 7300, 6100
    canvas[y:y + photo.shape[0], x:x + photo.shape[1]] = photo
    cv2.imwrite(path, canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return Case(path, 'face', scale, (x, y))


def bounded(call: Callable, *args, timeout: float = CALL_TIMEOUT_S):
    """``call(*args)`` in a worker thread; fails the test past ``timeout`` seconds (the
    thread is left behind: a hung decoder cannot be interrupted)."""
    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(call, *args).result(timeout)
    except FutureTimeout:
        pytest.fail(f'{getattr(call, "__name__", call)}{args!r:.200} ran over {timeout} s')
    finally:
        pool.shutdown(wait=False)


def contract_failure(case: Case, call: Callable, reference: np.ndarray, *args) -> str:
    """'' where ``call(*args)`` keeps the contract for ``case``, else what broke it.
    ``call`` returns (boxes (N, 4), keypoints (N, K, 2)); any exception other than
    ``InputError`` propagates (and fails the test)."""
    try:
        boxes, keypoints = bounded(call, *args)
    except InputError as error:
        message = str(error)
        if case.kind == 'face':
            return f'{case.name}: a photo refused: {message}'
        if '\n' in message or case.path not in message:
            return f'{case.name}: error not one line naming the file: {message!r}'
        return ''
    if case.kind == 'error':
        return f'{case.name}: not an image, but {len(keypoints)} faces came back'
    if not (np.isfinite(keypoints).all() and np.isfinite(boxes).all()):
        return f'{case.name}: non-finite landmarks or boxes'
    if case.kind == 'face':
        if len(keypoints) != 1:
            return f'{case.name}: {len(keypoints)} faces, expected her face only'
        error = np.linalg.norm(keypoints[0] - (reference * case.scale + case.offset),
                               axis=-1).mean()
        if error > FACE_TOLERANCE_PX * case.scale:
            return f'{case.name}: landmarks {error:.1f} px from the upright photo\'s'
    return ''


def by_path(landmarker: FaceLandmarker) -> Callable:
    def call(path):
        faces = landmarker(path)
        return faces.boxes, faces.keypoints
    return call


@pytest.fixture(scope='module')
def corpus(tmp_path_factory) -> List[Case]:
    return build_corpus(str(tmp_path_factory.mktemp('corpus')))


def select(corpus: List[Case], names: Tuple[str, ...]) -> List[Case]:
    """The cases named, or whose name starts with a name without an extension."""
    return [case for case in corpus if case.name in names or
            case.name.startswith(tuple(name for name in names if '.' not in name))]


@pytest.fixture(scope='module')
def subset(corpus) -> List[Case]:
    return select(corpus, SUBSET)


@pytest.fixture(scope='module')
def landmarker() -> FaceLandmarker:
    return FaceLandmarker()


@pytest.fixture(scope='module')
def reference(landmarker) -> np.ndarray:
    """(68, 2) landmarks of the upright photo."""
    (keypoints, ) = landmarker(GRACE).keypoints
    return keypoints


def test_corpus_is_deterministic_and_large_enough(tmp_path, corpus, subset):
    again = build_corpus(str(tmp_path))
    assert len(corpus) == len(again) >= MIN_CORPUS
    digest = [hashlib.sha1(open(case.path, 'rb').read()).hexdigest() for case in corpus]
    assert digest == [hashlib.sha1(open(case.path, 'rb').read()).hexdigest()
                      for case in again]
    kinds = [case.kind for case in corpus]
    assert (kinds.count('face'), kinds.count('error'), kinds.count('any')) == (37, 16, 171)
    assert len(subset) == len(SUBSET) and len(select(corpus, CLI_SUBSET)) == len(CLI_SUBSET)


@pytest.mark.slow
def test_face_landmarker_keeps_the_contract_on_every_file(corpus, landmarker, reference):
    failures = [contract_failure(case, by_path(landmarker), reference, case.path)
                for case in corpus]
    assert [failure for failure in failures if failure] == []


def test_load_face_image_reads_what_read_image_reads(corpus):
    """Alone (same pixels as ``read_image``, the skip mode's ``None``) and in the model's
    test pipeline (a finite crop, or the one-line error)."""
    from mmcv.transforms import Compose
    load, skip = LoadFaceImage(), LoadFaceImage(on_error='skip')
    pipeline = Compose(Config.fromfile(DEFAULT_CONFIG).test_dataloader.dataset.pipeline)
    failures = []
    for case in corpus:
        try:
            expected = read_image(case.path)
        except InputError:
            expected = None
        try:
            loaded = bounded(load, dict(img_path=case.path))['img']
        except InputError as error:
            loaded = None
            assert str(error).startswith(f'image {case.path} cannot be read') and \
                '\n' not in str(error)
            assert bounded(skip, dict(img_path=case.path)) is None
        if (expected is None) != (loaded is None) or (
                loaded is not None and not np.array_equal(loaded, expected)):
            failures.append(f'{case.name}: LoadFaceImage and read_image differ')
        if loaded is None:
            assert case.kind != 'face', case.name
            continue
        assert case.kind != 'error', case.name
        height, width = loaded.shape[:2]
        packed = bounded(pipeline, dict(img_path=case.path, id=0, img_id=0,
                                        bbox=np.array([[0, 0, width, height]], np.float32),
                                        bbox_score=np.ones(1, np.float32)))
        inputs = packed['inputs'].numpy()
        assert inputs.shape == (3, 192, 192) and np.isfinite(inputs).all(), case.name
    assert failures == []


@pytest.mark.parametrize('boxes,message', [
    ([[np.nan, 10, 100, 100]], 'boxes[0] = [nan, 10.0, 100.0, 100.0] is not finite'),
    ([[10, 10, 100, 100], [0, 0, np.inf, 50]], 'boxes[1] = [0.0, 0.0, inf, 50.0] is not finite'),
    ([[10, 10, 100, 100, np.nan]], 'boxes[0] = [10.0, 10.0, 100.0, 100.0, nan] is not finite'),
    ([[1e39, 0, 2e39, 10]], 'boxes[0] = [inf, 0.0, inf, 10.0] is not finite'),  # float32 overflow
    ([[100, 100, 100, 200]], 'boxes[0] = [100.0, 100.0, 100.0, 200.0] has no area'),
    ([[200, 100, 100, 300]], 'boxes[0] = [200.0, 100.0, 100.0, 300.0] has no area'),
    ([[-50, -60, -100, -10]], 'boxes[0] = [-50.0, -60.0, -100.0, -10.0] has no area'),
    ([[-300, -300, -100, -100]], 'lies outside the 512 x 600 image'),
    ([[600, 100, 700, 200]], 'boxes[0] = [600.0, 100.0, 700.0, 200.0] lies outside the 512'),
    ([[0, 700, 50, 750]], 'lies outside the 512 x 600 image'),
    ([[0, 0, 3e38, 3e38]], "is over 10x the image's longer side"),
    ([[1, 2, 3]], r'boxes: expected (N, 4) or (N, 5) boxes'),
    ([['a', 'b', 'c', 'd']], 'boxes: expected numbers x1, y1, x2, y2'),
])
def test_bad_boxes_raise_one_line_naming_the_box(landmarker, boxes, message):
    image = read_image(GRACE)
    with pytest.raises(InputError) as error:
        bounded(landmarker.landmarks, image, boxes)
    assert message in str(error.value) and '\n' not in str(error.value)


def test_edge_boxes_give_finite_landmarks(landmarker, reference):
    image = read_image(GRACE)
    edge = [[-100, -100, 50, 50],     # mostly outside, but on the image
            [500, 590, 900, 990],     # over the bottom-right corner
            [0, 0, 5000, 5000]]       # larger than the image (within 10x)
    faces = bounded(landmarker.landmarks, image, edge)
    assert faces.keypoints.shape == (3, 68, 2) and np.isfinite(faces.keypoints).all()
    one = bounded(landmarker.landmarks, image, landmarker.detect(image)[0, :4])  # (4,)
    assert len(one) == 1
    np.testing.assert_allclose(one.keypoints[0], reference, atol=1e-3)
    assert len(bounded(landmarker.landmarks, image, np.zeros((0, 4)))) == 0


@pytest.mark.parametrize('image', [
    np.zeros((60, 60), np.uint8), np.zeros((60, 60, 4), np.uint8),
    np.zeros((60, 60, 3), np.float32), np.zeros((0, 60, 3), np.uint8), [[0, 0, 0]]],
    ids=['grey', 'bgra', 'float', 'empty', 'list'])
def test_arrays_that_are_not_bgr_images_raise_one_line(landmarker, image):
    with pytest.raises(InputError, match=r'expected a \(H, W, 3\) BGR image of uint8'):
        bounded(landmarker, image)
    with pytest.raises(InputError, match=r'expected a \(H, W, 3\) BGR image of uint8'):
        bounded(landmarker.landmarks, image, [[0, 0, 10, 10]])


def test_paths_as_path_objects_and_missing_files(landmarker, reference, tmp_path):
    from pathlib import Path
    (keypoints, ) = bounded(landmarker, Path(GRACE)).keypoints
    np.testing.assert_allclose(keypoints, reference, atol=1e-3)
    with pytest.raises(FileNotFoundError, match='no such image file'):
        read_image(str(tmp_path / 'missing.jpg'))


def test_decompression_bombs_are_refused_from_the_header(corpus):
    """Pillow's limit (2 x ``PIL.Image.MAX_IMAGE_PIXELS``), read from the header before
    anything is decoded, for ``read_image`` and ``LoadFaceImage`` alike."""
    bombs = select(corpus, ('bomb_', ))
    assert len(bombs) == 2
    for case in bombs:
        for read in (read_image, lambda path: LoadFaceImage()(dict(img_path=path))):
            with pytest.raises(InputError) as error:
                bounded(read, case.path)
            message = str(error.value)
            assert case.path in message and '\n' not in message
            assert 'exceeds limit of 178956970 pixels' in message
            assert 'PIL.Image.MAX_IMAGE_PIXELS' in message


def test_tiles_cover_with_overlap_and_merge_cut_faces():
    for length, tile, overlap in ((640, 640, 50), (641, 640, 50), (1280, 640, 50),
                                  (2400, 640, 50), (9000, 960, 60)):
        starts = tile_starts(length, tile, overlap)
        assert starts[0] == 0 and starts[-1] + tile == max(length, tile)
        assert (np.diff(starts) <= tile - overlap).all() and (np.diff(starts) > 0).all()
    boxes = np.array([[0, 0, 100, 100],      # a whole face
                      [50, 0, 100, 100],     # its half, cut at a tile edge (inside it)
                      [300, 0, 400, 100],    # another face
                      [90, 0, 190, 100]],    # overlapping the first by 10%
                     np.float32)
    np.testing.assert_array_equal(
        suppress_overlaps(boxes, np.array([0.8, 0.9, 0.7, 0.6])), [1, 2, 3])
    np.testing.assert_array_equal(
        suppress_overlaps(boxes, np.array([0.9, 0.8, 0.7, 0.6])), [0, 2, 3])
    assert suppress_overlaps(np.zeros((0, 4)), np.zeros(0)).shape == (0, )


def test_pyramid_levels_and_runs_for_large_images():
    """YuNet (max_side 640, smallest face 20 px), min_face 100: one run up to 3200 px;
    then tiles of 640 overlapping by 50 at scales doubling up to 0.2."""
    detector = FaceDetector.from_config(DEFAULT_FACE_DETECTOR)

    def runs(shape):
        scales = detector.pyramid_scales(shape)
        sizes = [np.round(np.array(shape) * scale).astype(int) for scale in scales]
        return 1 + sum(len(tile_starts(h, 640, 50)) * len(tile_starts(w, 640, 50))
                       for h, w in sizes)

    assert len(detector.pyramid_scales((600, 512))) == 0 == len(
        detector.pyramid_scales((2400, 3200)))
    np.testing.assert_allclose(detector.pyramid_scales((3000, 4000)), [0.2])
    np.testing.assert_allclose(detector.pyramid_scales(HUGE_SHAPE), [0.32 / 3, 0.2])
    assert (runs((3000, 4000)), runs(HUGE_SHAPE)) == (3, 19)
    detector.min_face = None
    assert len(detector.pyramid_scales(HUGE_SHAPE)) == 0


class CountingNetwork:
    """A detector network that records the shape of each image it is run on."""

    def __init__(self, network) -> None:
        self.network, self.shapes = network, []
        self.max_side, self.smallest_face = network.max_side, network.smallest_face

    def __call__(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        self.shapes.append(image.shape)
        return self.network(image)


@pytest.mark.parametrize('x', [3050, 2850], ids=['across a tile edge', 'in the overlap'])
def test_small_face_in_a_large_image_is_found_once_by_the_tiles(x):
    """A 100 px face in 6000 x 4500 px: 11 px in the shrunk run, 20 px at the
    0.2 level, whose 2 x 2 tiles overlap in columns 560-640 (image 2800-3200): her face
    (image x + 100 to x + 200) is cut by the first tile's edge, or whole in both tiles."""
    detector = FaceDetector.from_config(DEFAULT_FACE_DETECTOR)
    detector.network = network = CountingNetwork(detector.network)
    scale = 100 / 180
    photo = cv2.resize(cv2.imread(GRACE), None, fx=scale, fy=scale,
                       interpolation=cv2.INTER_AREA)
    image = np.full((4500, 6000, 3), 110, np.uint8)
    image[2000:2000 + photo.shape[0], x:x + photo.shape[1]] = photo
    boxes, _ = detector(image)
    assert len(network.shapes) == 1 + 4 and len(boxes) == 1, boxes
    # her calibrated box in the photo is about [180, 166, 360, 346]
    expected = np.array([x, 2000]) + scale * np.array([270, 256])
    assert np.abs((boxes[0, :2] + boxes[0, 2:]) / 2 - expected).max() < 10
    # the tiles alone find her whole (the shrunk run, at 11 px, may or may not), once in
    # each tile holding her whole (two rows of tiles overlap at her height), and no cut box
    level = cv2.resize(image, (1200, 900), interpolation=cv2.INTER_AREA)
    tiled, scores = detector.detect_tiles(level)
    assert len(tiled) == (2 if x == 3050 else 4) and len(suppress_overlaps(tiled, scores)) == 1
    calibrated = detector.calibration(tiled / 0.2)
    assert np.abs((calibrated[:, :2] + calibrated[:, 2:]) / 2 - expected).max() < 10
    assert np.ptp(tiled, 0).max() < 1


@pytest.mark.slow
def test_huge_image_face_found_within_time_and_memory(tmp_path, reference):
    """In a fresh process: FaceLandmarker and LoadFaceImage on the 12000 x 9000 JPEG;
    the peak RSS above the RSS before the call is bounded by HUGE_MEMORY_RATIO x the
    decoded image's bytes. The peak is the process's own ``VmHWM``, reset before the call
    (``clear_refs``): ``getrusage``'s ``ru_maxrss`` keeps, across ``exec``, the high-water
    mark of the address space it replaced (here pytest's, forked), so in a full test run
    it read the suite's RSS, not the call's."""
    case = huge_image(str(tmp_path / 'huge.jpg'))
    script = f'''
import json, os, time
from mmpose_pipnet.apis import FaceLandmarker
from mmpose_pipnet.datasets.transforms import LoadFaceImage
def status_bytes(field):
    with open('/proc/self/status') as f:
        line = next(line for line in f if line.startswith(field + ':'))
    return int(line.split()[1]) * 1024
landmarker = FaceLandmarker()
with open('/proc/self/clear_refs', 'w') as f:
    f.write('5')  # VmHWM := the RSS now
before = status_bytes('VmRSS')
start = time.time()
faces = landmarker({case.path!r})
seconds = time.time() - start
peak = status_bytes('VmHWM')
shape = LoadFaceImage()(dict(img_path={case.path!r}))['img'].shape
print(json.dumps(dict(keypoints=faces.keypoints.tolist(), before=before, peak=peak,
                      seconds=seconds, shape=shape)))
'''
    run = subprocess.run([sys.executable, '-c', script], cwd=REPO, capture_output=True,
                         text=True, timeout=HUGE_TIMEOUT_S + 60)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    image_bytes = np.prod(HUGE_SHAPE) * 3
    assert tuple(result['shape']) == (*HUGE_SHAPE, 3)
    keypoints = np.array(result['keypoints'], np.float32).reshape(-1, 68, 2)
    assert contract_failure(case, lambda: (np.zeros((len(keypoints), 4)), keypoints),
                            reference) == ''
    assert result['seconds'] < HUGE_TIMEOUT_S
    growth = (result['peak'] - result['before']) / image_bytes
    print(f'huge image: {result["seconds"]:.1f} s, peak RSS {result["peak"] / 2**20:.0f} MiB'
          f' ({growth:.2f} x the {image_bytes / 2**20:.0f} MiB image above the '
          f'{result["before"] / 2**20:.0f} MiB before)')
    assert growth < HUGE_MEMORY_RATIO


@pytest.fixture(scope='module')
def onnx_file(tmp_path_factory) -> str:
    from mmpose_pipnet.deploy import export_onnx
    return export_onnx(DEFAULT_CONFIG, DEFAULT_CHECKPOINT,
                       str(tmp_path_factory.mktemp('onnx') / 'pipnet.onnx'))


@pytest.mark.slow
def test_onnx_backend_and_predictor_keep_the_contract(subset, onnx_file, landmarker, reference):
    from pipnet_onnxruntime import PIPNetONNXPredictor
    onnx_landmarker = FaceLandmarker(onnx_file=onnx_file)
    failures = [contract_failure(case, by_path(onnx_landmarker), reference, case.path)
                for case in subset]
    assert [failure for failure in failures if failure] == []
    predictor = PIPNetONNXPredictor(onnx_file)
    image = read_image(GRACE)
    keypoints, _ = predictor(image, landmarker.detect(image)[0, :4])  # one (4,) box
    np.testing.assert_allclose(keypoints[0], reference, atol=0.5)
    for bad_image, boxes, message in (
            (image, [[np.nan, 0, 10, 10]], 'boxes[0] = [nan, 0.0, 10.0, 10.0]: not a finite'),
            (image, [[10, 10, 5, 50]], 'boxes[0] = [10.0, 10.0, 5.0, 50.0]: not a finite box'),
            (image, [[600, 0, 700, 50]], 'overlapping the 512 x 600 image'),
            (image, [[0, 0, 1e300, 1e300]], 'at most 10 image sides'),
            (image, [[1, 2]], 'boxes: expected (N, 4) or (N, 5)'),
            (image[..., 0], [[0, 0, 10, 10]], 'image: expected (H, W, 3) uint8 BGR'),
            (image.astype(np.float32), [[0, 0, 10, 10]], 'image: expected (H, W, 3) uint8')):
        with pytest.raises(ValueError) as error:
            bounded(predictor, bad_image, boxes)
        assert message in str(error.value) and '\n' not in str(error.value)


@pytest.mark.slow
def test_inferencer_keeps_the_contract(subset, reference):
    from mmpose_pipnet.apis import PIPNetInferencer
    inferencer = PIPNetInferencer('pipnet-ytf68', device='cpu')

    def call(path, bboxes=None):
        kwargs = dict(bboxes=[bboxes]) if bboxes is not None else {}
        predictions = next(inferencer(path, **kwargs))['predictions'][0]
        return (np.array([p['bbox'][0] for p in predictions], np.float32).reshape(-1, 4),
                np.array([p['keypoints'] for p in predictions], np.float32).reshape(-1, 68, 2))

    failures = [contract_failure(case, call, reference, case.path) for case in subset]
    assert [failure for failure in failures if failure] == []
    for boxes, message in (([[np.nan, 0, 100, 100]], 'bboxes[0] = [nan, 0.0'),
                           ([[100, 100, 50, 200]], 'has no area'),
                           ([[1000, 1000, 1100, 1100]], 'lies outside the 512 x 600 image')):
        for image in (GRACE, read_image(GRACE)):
            with pytest.raises(InputError, match=message.replace('[', r'\[')):
                bounded(call, image, boxes)


@pytest.mark.slow
def test_cli_keeps_the_contract(corpus, tmp_path, capsys, reference):
    """``main`` in-process on the subset and on bad --bbox values, and one subprocess run
    (the console script's process: exit code, stderr)."""
    from mmpose_pipnet.apis.landmarks_cli import main

    def call(path, *options):
        out = tmp_path / 'out'
        try:
            main([path, '--out-dir', str(out), *options], prog='pipnet-landmarks')
        except SystemExit as exit_:
            message = str(exit_.code)
            assert exit_.code != 0 and message.startswith('pipnet-landmarks: ')
            raise InputError(message[len('pipnet-landmarks: '):]) from None
        stem = osp.splitext(osp.basename(path))[0]
        with open(out / f'{stem}_landmarks.json') as f:
            faces = json.load(f)['faces']
        return (np.array([face['bbox'] for face in faces], np.float32).reshape(-1, 4),
                np.array([face['keypoints'] for face in faces], np.float32).reshape(-1, 68, 2))

    failures = [contract_failure(case, call, reference, case.path)
                for case in select(corpus, CLI_SUBSET)]
    assert [failure for failure in failures if failure] == []
    for bbox, message in ((['nan', '10', '100', '100'], 'boxes[0] = [nan, 10.0'),
                          (['300', '10', '100', '100'], 'has no area'),
                          (['-900', '-900', '-800', '-800'], 'lies outside')):
        with pytest.raises(InputError, match=message.replace('[', r'\[')):
            call(GRACE, '--bbox', *bbox)
    capsys.readouterr()
    (truncated, ) = select(corpus, ('truncated_png_00', ))
    run = subprocess.run(
        [sys.executable, '-c', 'from mmpose_pipnet.apis.landmarks_cli import main; '
         'main(prog="pipnet-landmarks")', truncated.path, '--out-dir', str(tmp_path / 'sub')],
        cwd=REPO, capture_output=True, text=True, timeout=CALL_TIMEOUT_S * 2)
    assert run.returncode == 1 and 'Traceback' not in run.stderr
    *others, last = run.stderr.splitlines()
    assert last == (f'pipnet-landmarks: {truncated.path}: not an image OpenCV can read '
                    '(empty, corrupt or another format)')
    # besides it only Python warnings of the stack's imports (mmengine's pkg_resources
    # deprecation): nothing from libpng, which never sees the truncated PNG
    assert all(re.match(r'\S+:\d+: \w*Warning: |  ', line) for line in others), others
