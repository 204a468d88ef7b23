from .face_detection import (FaceBoxCalibration, FaceDetector, HaarCascadeFace,
                             OfflineFaceDetector, YuNetFace)
from .face_landmarks import DEFAULT_CHECKPOINT, DEFAULT_CONFIG, FaceLandmarker, Faces, read_image
from .face_tracking import FaceTracker, TrackedFaces
from .pose2d_inferencer import DEFAULT_FACE_DETECTOR, patch_pose2d_inferencer
from .publish import publish_checkpoint, sha256_prefix
from .smoothing import OneEuroFilter

patch_pose2d_inferencer()

__all__ = [
    'DEFAULT_CHECKPOINT', 'DEFAULT_CONFIG', 'DEFAULT_FACE_DETECTOR', 'FaceBoxCalibration',
    'FaceDetector', 'FaceLandmarker', 'FaceTracker', 'Faces', 'HaarCascadeFace',
    'OfflineFaceDetector', 'OneEuroFilter', 'TrackedFaces', 'YuNetFace',
    'patch_pose2d_inferencer', 'publish_checkpoint', 'read_image', 'sha256_prefix'
]
