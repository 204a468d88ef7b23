from .haar_face_detector import HaarFaceDetector
from .publish import publish_checkpoint, sha256_prefix

__all__ = ['HaarFaceDetector', 'publish_checkpoint', 'sha256_prefix']
