"""Offline face detectors: faces found on real images, calibration maths, MMDetection APIs."""
import cv2
import numpy as np
import pytest

from conftest import FACE_SAMPLES, REPO, load_tool
from mmpose_pipnet.apis import FaceBoxCalibration, FaceDetector
from mmpose_pipnet.apis.face_detection import landmark_square, match_faces

load_face_images = load_tool('analysis/_common.py').load_face_images

YUNET = f'{REPO}/configs/face_detection/yunet_face.py'
HAAR = f'{REPO}/configs/face_detection/haar_face.py'
# whole images with 68-point faces: single-face (300W, 300W-LP, 300VW) and multi-person
# COCO-WholeBody images (their labelled faces)
LABELLED = [('300w', 'test_300w.json'), ('300wlp', 'test_300wlp.json'),
            ('300vw', 'anno_300vw.json'), ('coco', 'test_coco_wholebody.json')]


def labelled_images():
    return [image for folder, ann in LABELLED
            for image in load_face_images(f'{FACE_SAMPLES}/{folder}/{ann}',
                                          f'{FACE_SAMPLES}/{folder}')]


def test_calibration_maps_and_fits_literal_numbers():
    calibration = FaceBoxCalibration(side_ratio=0.8, shift_x=0.1, shift_y=0.2)
    # a 100 x 64 box centred at (50, 32): side 0.8 * 80 = 64, centre (60, 44.8)
    box = calibration(np.array([[0, 0, 100, 64]], np.float32))
    np.testing.assert_allclose(box, [[28, 12.8, 92, 76.8]], atol=1e-4)
    raw = np.random.default_rng(0).uniform(0, 200, (50, 2))
    raw = np.concatenate([raw, raw + np.random.default_rng(1).uniform(40, 90, (50, 2))], 1)
    fitted = FaceBoxCalibration.fit(raw.astype(np.float32), calibration(raw))
    assert fitted.to_dict() == dict(side_ratio=0.8, shift_x=0.1, shift_y=0.2)
    with pytest.raises(ValueError, match='side_ratio'):
        FaceBoxCalibration(side_ratio=0)


def test_match_faces_needs_centre_inside_and_similar_size():
    gt = np.array([[0, 0, 100, 100], [200, 0, 300, 100]], np.float32)
    det = np.array([[190, -10, 310, 110],   # face 1
                    [0, 0, 400, 400],       # too big for face 0
                    [10, 5, 105, 100]], np.float32)  # face 0
    np.testing.assert_array_equal(match_faces(det, gt), [2, 0])
    np.testing.assert_array_equal(match_faces(det[1:2], gt), [-1, -1])


@pytest.mark.shared_data
def test_yunet_finds_every_labelled_face_on_whole_images():
    detector = FaceDetector.from_config(YUNET)
    faces = found = 0
    for image in labelled_images():
        boxes, scores = detector(cv2.imread(image['path']))
        assert (scores > 0.5).all() and (np.diff(scores) <= 0).all()
        match = match_faces(boxes, landmark_square(image['points']))
        faces += len(match)
        found += (match >= 0).sum()
    assert faces == 11 and found == faces


@pytest.mark.shared_data
def test_detection_on_a_shrunk_image_gives_boxes_in_image_pixels():
    """max_side (the tracker's cheap re-detection): same faces, boxes in full-size pixels."""
    detector = FaceDetector.from_config(YUNET)
    image = cv2.imread(f'{FACE_SAMPLES}/300w/indoor_029.png')
    full, _ = detector(image)
    shrunk, _ = detector(image, max_side=max(image.shape[:2]) // 2)
    assert len(full) == len(shrunk) == 1
    side = full[0, 2] - full[0, 0]
    np.testing.assert_allclose(shrunk, full, atol=0.05 * side)
    assert abs(shrunk[0, 2] - shrunk[0, 0] - side) < 0.05 * side


@pytest.mark.shared_data
def test_boxes_crossing_the_image_edge_keep_negative_coordinates():
    """yuface's own wrapper casts boxes to uint16: a face cut by the left/top edge would
    come back near x = 65535."""
    (image, ) = load_face_images(f'{FACE_SAMPLES}/300w/test_300w.json',
                                 f'{FACE_SAMPLES}/300w')[1:]
    pixels = cv2.imread(image['path'])
    x1, y1 = landmark_square(image['points'])[0, :2].astype(int)
    cut = np.ascontiguousarray(pixels[y1 + 60:, x1 + 150:])
    boxes, _ = FaceDetector.from_config(YUNET, calibrated=False)(cut)
    assert len(boxes) and boxes[0, 0] < 0 and boxes[0, 1] < 0


@pytest.mark.shared_data
def test_mmdetection_apis_run_the_detector():
    from mmdet.apis import DetInferencer, inference_detector, init_detector
    path = f'{FACE_SAMPLES}/300w/indoor_029.png'
    expected, _ = FaceDetector.from_config(YUNET)(cv2.imread(path))
    model = init_detector(YUNET, None, device='cpu')
    pred = inference_detector(model, path).pred_instances
    np.testing.assert_allclose(pred.bboxes.numpy(), expected, atol=1e-3)
    assert (pred.labels == 0).all()
    result = DetInferencer(YUNET, None, device='cpu', show_progress=False)(
        path, return_datasamples=True)['predictions'][0]
    np.testing.assert_allclose(result.pred_instances.bboxes.numpy(), expected, atol=1e-3)


def test_no_face_in_a_blank_image():
    for config in (YUNET, HAAR):
        boxes, scores = FaceDetector.from_config(config)(np.full((240, 320, 3), 127, np.uint8))
        assert boxes.shape == (0, 4) and scores.shape == (0, )


def test_detector_rejects_a_grey_image():
    with pytest.raises(ValueError, match=r'\(H, W, 3\) BGR image'):
        FaceDetector.from_config(YUNET)(np.zeros((10, 10), np.uint8))
