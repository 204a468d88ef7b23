# OpenCV's frontal-face Haar cascade (ships inside opencv-python): frontal faces only.
_base_ = ['./_base_.py']

model = dict(
    backbone=dict(type='HaarCascadeFace', min_size=30, scale_factor=1.1, min_neighbors=5,
                  max_side=960),
    # fitted on ytf68 train (tools/analysis/calibrate_face_detector.py; docs/benchmarks.md "Face detection")
    box_calibration=dict(side_ratio=0.875, shift_x=0.0011, shift_y=0.1582))
