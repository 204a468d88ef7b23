# YuNet (libfacedetection, BSD-3) from the PyPI wheel `yuface`: the project's default face
# detector (docs/benchmarks.md "Face detection" has the comparison that chose it).
_base_ = ['./_base_.py']

model = dict(
    backbone=dict(type='YuNetFace', score_thr=0.5, max_side=640),
    # fitted on ytf68 train (tools/analysis/calibrate_face_detector.py; docs/benchmarks.md "Face detection")
    box_calibration=dict(side_ratio=0.9459, shift_x=0.0141, shift_y=0.1416))
