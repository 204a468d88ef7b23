"""An offline face detector for demos: OpenCV's frontal-face Haar cascade.

The cascade ships inside opencv-python (no download). Its boxes are mapped to the box
convention the PIPNet configs are trained with (the converters' tight square around the
68 points, which ``GetBBoxCenterScale`` pads x1.25): measured on ytf68 train (2880 of 2923
faces found), the landmark square is 0.875 x the cascade's side (median) and its centre
0.158 x the side lower. Frontal faces only; use an MMDetection face detector for more.
"""
import cv2
import numpy as np

SIDE_RATIO = 0.875
CENTER_SHIFT_Y = 0.158


class HaarFaceDetector:
    """Detect faces in a BGR image; boxes (N, 4) x1, y1, x2, y2 in image pixels.

    Args:
        min_size (int): smallest face side in pixels
        scale_factor (float): the cascade's pyramid step
        min_neighbors (int): the cascade's grouping threshold (higher: fewer, surer faces)
    """

    def __init__(self, min_size: int = 30, scale_factor: float = 1.1,
                 min_neighbors: int = 5) -> None:
        path = cv2.data.haarcascades + 'haarcascade_frontalface_default.xml'
        self.cascade = cv2.CascadeClassifier(path)
        if self.cascade.empty():
            raise FileNotFoundError(f'OpenCV Haar cascade {path} could not be loaded')
        self.min_size = min_size
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Face boxes of a (H, W, 3) BGR uint8 image, largest first: (N, 4) float32."""
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        faces = self.cascade.detectMultiScale(
            gray, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
            minSize=(self.min_size, self.min_size))
        if len(faces) == 0:
            return np.zeros((0, 4), np.float32)
        faces = np.asarray(faces, np.float32)
        faces = faces[np.argsort(-faces[:, 2] * faces[:, 3])]
        side = faces[:, 2] * SIDE_RATIO
        cx = faces[:, 0] + faces[:, 2] / 2
        cy = faces[:, 1] + faces[:, 3] / 2 + faces[:, 3] * CENTER_SHIFT_Y
        return np.stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], 1)
