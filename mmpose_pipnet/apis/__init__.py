from .face_detection import (FaceBoxCalibration, FaceDetector, HaarCascadeFace,
                             OfflineFaceDetector, YuNetFace)
from .face_landmarks import FaceLandmarker, Faces, read_image
from .face_tracking import FaceTracker, TrackedFaces
from .inferencer import PIPNetInferencer, PIPNetPose2DInferencer
from .model_zoo import (DEFAULT_CHECKPOINT, DEFAULT_CONFIG, DEFAULT_FACE_DETECTOR,
                        DEFAULT_MODEL, config_path, list_models, resolve_int8_onnx,
                        resolve_model)
from .smoothing import OneEuroFilter

__all__ = [
    'DEFAULT_CHECKPOINT', 'DEFAULT_CONFIG', 'DEFAULT_FACE_DETECTOR', 'DEFAULT_MODEL',
    'FaceBoxCalibration', 'FaceDetector', 'FaceLandmarker', 'FaceTracker', 'Faces',
    'HaarCascadeFace', 'OfflineFaceDetector', 'OneEuroFilter', 'PIPNetInferencer',
    'PIPNetPose2DInferencer', 'TrackedFaces', 'YuNetFace', 'config_path', 'list_models',
    'read_image', 'resolve_int8_onnx', 'resolve_model'
]
