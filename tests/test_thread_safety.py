"""The inference objects called from several threads at once (issue 24).

``FaceLandmarker`` (PyTorch and ONNX Runtime backends, arrays and image files),
``PIPNetONNXPredictor`` and both face detectors are each called from ``THREADS`` threads
started together, ``CALLS`` calls per thread, thread t taking input (t + i) mod n at its
i-th call, so that different inputs run at the same moment; every result must equal the
serial result of its input exactly (bitwise), and the serial results of different
inputs differ, so that a result handed to the wrong caller would show.

The inputs are grace_hopper.jpg shrunk to 120-220 px (her face 45-72 px), cropped and
brightened differently, some given as image files (PNG, and a lossless WebP stored
rotated under EXIF orientation 6), so that a call stays short on a small machine.

What is not thread-safe at its root and is guarded (``mmpose_pipnet/apis/face_detection.py``):
libfacedetection's unguarded first-call initialisation (``YuNetFace`` makes that call
under a lock when it is built) and OpenCV's ``CascadeClassifier``, whose calls from two
threads fail its assertions (``HaarCascadeFace`` lets them take turns).
"""
import io
import os.path as osp
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, Sequence, Tuple

import cv2
import matplotlib.cbook
import numpy as np
import pytest
from PIL import Image

from conftest import REPO
from mmpose_pipnet.apis import DEFAULT_CHECKPOINT, DEFAULT_CONFIG, FaceLandmarker
from mmpose_pipnet.apis.face_detection import FaceDetector

GRACE = str(matplotlib.cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))
THREADS, CALLS = 4, 500
HANG_S = 900  # per test: the 2000 calls take 10-60 s here; past this a thread is stuck
# (scale, crop x, crop y, brightness): her face 45-72 px in 120-220 px images
VARIANTS = ((0.30, 0, 0, 0), (0.35, 12, 0, 10), (0.40, 0, 20, -15), (0.25, 8, 8, 0),
            (0.33, 30, 10, 25), (0.38, 5, 30, -5))
# mean distance of each variant's landmarks to the full photo's, mapped into it: they
# are her landmarks, not just consistent numbers (measured 0.5-0.7 px)
TOLERANCE_PX = 2.0


def variant(scale: float, x: int, y: int, brightness: int) -> np.ndarray:
    """(H, W, 3) uint8 BGR: the photo shrunk by ``scale``, cropped at x, y, brightened."""
    image = cv2.resize(cv2.imread(GRACE), None, fx=scale, fy=scale,
                       interpolation=cv2.INTER_AREA)[y:, x:]
    return np.ascontiguousarray(np.clip(image.astype(int) + brightness, 0, 255)
                                .astype(np.uint8))


@pytest.fixture(scope='module')
def images() -> List[np.ndarray]:
    return [variant(*v) for v in VARIANTS]


@pytest.fixture(scope='module')
def files(tmp_path_factory, images) -> List[str]:
    """Two variants as files: a PNG, and a lossless WebP stored rotated 90 degrees
    counter-clockwise with EXIF orientation 6 (displayed as the variant)."""
    root = tmp_path_factory.mktemp('threads')
    png = str(root / 'variant_0.png')
    cv2.imwrite(png, images[0])
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = Image.fromarray(images[1][..., ::-1]).transpose(Image.Transpose.ROTATE_90)
    webp = str(root / 'variant_1_exif6.webp')
    buffer = io.BytesIO()
    stored.save(buffer, 'WEBP', lossless=True, exif=exif.tobytes())
    with open(webp, 'wb') as f:
        f.write(buffer.getvalue())
    return [png, webp]


@pytest.fixture(scope='module')
def onnx_file(tmp_path_factory) -> str:
    from mmpose_pipnet.deploy import export_onnx
    return export_onnx(DEFAULT_CONFIG, DEFAULT_CHECKPOINT,
                       str(tmp_path_factory.mktemp('onnx') / 'pipnet.onnx'))


def hammer(call: Callable, inputs: Sequence[tuple], expected: Sequence[Tuple[np.ndarray]],
           threads: int = THREADS, calls: int = CALLS) -> List[Tuple[int, int, int]]:
    """Run ``call(*inputs[j])`` ``calls`` times in each of ``threads`` threads released
    together, thread t taking j = (t + i) mod n at its i-th call; the (thread, call,
    input) of every result (a tuple of arrays) not exactly ``expected[j]``. An exception
    in a call fails the test, as does a thread still running after ``HANG_S``."""
    barrier = threading.Barrier(threads)

    def work(thread: int) -> List[Tuple[int, int, int]]:
        barrier.wait()
        wrong = []
        for i in range(calls):
            j = (thread + i) % len(inputs)
            result = call(*inputs[j])
            if not all(np.array_equal(a, b) for a, b in zip(result, expected[j], strict=True)):
                wrong.append((thread, i, j))
        return wrong

    pool = ThreadPoolExecutor(threads)
    try:
        futures = [pool.submit(work, thread) for thread in range(threads)]
        return [w for future in futures for w in future.result(timeout=HANG_S)]
    finally:
        pool.shutdown(wait=False)  # a stuck thread cannot be stopped: let the test fail


def faces_tuple(faces) -> Tuple[np.ndarray, ...]:
    return faces.boxes, faces.box_scores, faces.keypoints, faces.keypoint_scores


def assert_distinct(expected: Sequence[Tuple[np.ndarray, ...]]) -> None:
    """Results of different inputs differ (else a swap between callers could not show)."""
    for j in range(len(expected)):
        for k in range(j):
            assert not all(np.array_equal(a, b) for a, b in zip(expected[j], expected[k])), \
                (j, k)


@pytest.fixture(scope='module')
def landmarker() -> FaceLandmarker:
    return FaceLandmarker()


@pytest.fixture(scope='module')
def truth(landmarker) -> np.ndarray:
    """(68, 2) her landmarks in the full photo."""
    (keypoints, ) = landmarker(cv2.imread(GRACE)).keypoints
    return keypoints


def check_serial(landmarker: FaceLandmarker, inputs: Sequence, truth: np.ndarray):
    """Serial results of ``landmarker`` on each input (the variants, then files of some
    of them), each her one face, near the truth."""
    expected = [faces_tuple(landmarker(image)) for image in inputs]
    for (scale, x, y, _), (_, _, keypoints, _) in zip(VARIANTS, expected):
        assert keypoints.shape == (1, 68, 2)
        error = np.linalg.norm(keypoints[0] - (truth * scale - (x, y)), axis=-1).mean()
        assert error < TOLERANCE_PX, (scale, x, y, error)
    assert_distinct(expected[:len(VARIANTS)])
    return expected


@pytest.mark.slow
@pytest.mark.parametrize('backend', ['pytorch', 'onnxruntime'])
def test_face_landmarker_from_four_threads_gives_the_serial_results(
        backend, images, files, truth, request):
    landmarker = (request.getfixturevalue('landmarker') if backend == 'pytorch' else
                  FaceLandmarker(onnx_file=request.getfixturevalue('onnx_file')))
    inputs = images + files  # files: variants 0 and 1 again, read by read_image
    expected = check_serial(landmarker, inputs, truth)
    for file_result, image_result in zip(expected[len(images):], expected):
        for a, b in zip(file_result, image_result):  # the same pixels (lossless)
            np.testing.assert_array_equal(a, b)
    assert hammer(lambda image: faces_tuple(landmarker(image)),
                  [(image, ) for image in inputs], expected) == []


@pytest.mark.slow
def test_onnx_predictor_from_four_threads_gives_the_serial_results(
        images, onnx_file, landmarker):
    """One or two boxes per call (detector boxes, and one shifted by 5 %)."""
    from pipnet_onnxruntime import PIPNetONNXPredictor
    predictor = PIPNetONNXPredictor(onnx_file)
    inputs = []
    for j, image in enumerate(images):
        boxes = landmarker.detect(image)[:, :4]
        if j % 2:
            boxes = np.concatenate([boxes, boxes + 0.05 * (boxes[:, 2:3] - boxes[:, :1])])
        inputs.append((image, boxes))
    expected = [predictor(image, boxes) for image, boxes in inputs]
    for (image, boxes), (keypoints, _) in zip(inputs, expected):
        reference = landmarker.landmarks(image, boxes).keypoints  # PyTorch, same crops
        assert np.abs(keypoints - reference).max() < 0.5
    assert_distinct(expected)
    assert hammer(predictor, inputs, expected) == []


@pytest.mark.slow
@pytest.mark.parametrize('config', ['yunet_face.py', 'haar_face.py'])
def test_face_detectors_from_four_threads_give_the_serial_results(config, images):
    """YuNet, and OpenCV's Haar cascade, which fails from two threads unguarded."""
    detector = FaceDetector.from_config(osp.join(REPO, 'configs', 'face_detection', config))
    expected = [detector(image) for image in images]
    assert all(len(boxes) == 1 for boxes, _ in expected)
    assert_distinct(expected)
    assert hammer(detector, [(image, ) for image in images], expected) == []
