from .haar_face_detector import HaarFaceDetector

__all__ = ['HaarFaceDetector']
