"""Draw face landmarks on a BGR image: points, the 68-point face outline, boxes, FPS."""
from typing import Optional

import cv2
import numpy as np

from .face_landmarks import Faces
from .head_pose import rotation_matrix

# iBUG/300-W 68-point contours: (first, last, closed)
CONTOURS_68 = (
    (0, 16, False),   # jaw
    (17, 21, False),  # right brow (image left)
    (22, 26, False),  # left brow
    (27, 30, False),  # nose bridge
    (31, 35, False),  # nostrils
    (36, 41, True),   # right eye
    (42, 47, True),   # left eye
    (48, 59, True),   # outer lips
    (60, 67, True),   # inner lips
)


def draw_faces(image: np.ndarray, faces: Faces, draw_boxes: bool = True,
               fps: Optional[float] = None, color=(0, 255, 0),
               outline_color=(255, 200, 0)) -> np.ndarray:
    """A copy of ``image`` with each face's landmarks (and outline if K == 68).

    Sizes follow the face: point radius and line width grow with the box side.
    """
    canvas = image.copy()
    poses = faces.head_pose
    for index, (box, points) in enumerate(zip(faces.boxes, faces.keypoints)):
        side = max(float(box[2] - box[0]), 1.0)
        thickness = max(1, round(side / 150))
        if draw_boxes:
            cv2.rectangle(canvas, tuple(np.round(box[:2]).astype(int)),
                          tuple(np.round(box[2:]).astype(int)), (0, 0, 255), thickness,
                          cv2.LINE_AA)
        if len(points) == 68:
            for first, last, closed in CONTOURS_68:
                line = np.round(points[first:last + 1] * 16).astype(np.int32)
                cv2.polylines(canvas, [line], closed, outline_color, thickness, cv2.LINE_AA,
                              shift=4)
        radius = max(1, round(side / 100))
        for x, y in np.round(points * 16).astype(np.int32):
            cv2.circle(canvas, (int(x), int(y)), radius * 16, color, -1, cv2.LINE_AA, shift=4)
        if poses is not None and np.isfinite(poses[index]).all():
            draw_pose_axes(canvas, points[30], poses[index], side / 3, thickness + 1)
    if fps is not None:
        cv2.putText(canvas, f'{fps:.1f} FPS', (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8,
                    (0, 0, 255), 2, cv2.LINE_AA)
    return canvas


#: Head-pose axes in BGR: the head's x (to the image's right when frontal) red, y (down)
#: green, z (out of the face, towards the camera) blue.
AXIS_COLORS = ((0, 0, 255), (0, 255, 0), (255, 0, 0))


def draw_pose_axes(canvas: np.ndarray, origin: np.ndarray, pose: np.ndarray, length: float,
                   thickness: int) -> None:
    """Draw the head's axes at ``origin`` (pixels) for ``pose`` yaw, pitch, roll (degrees),
    ``length`` pixels long (scaled orthographic, as :mod:`.head_pose` estimates)."""
    rotation = rotation_matrix(*pose)[0]
    axes = rotation @ np.diag([1.0, 1.0, -1.0])  # columns: x, y, z out of the face
    start = tuple(int(v) for v in np.round(origin))
    for axis, axis_color in zip(axes.T, AXIS_COLORS):
        end = tuple(int(v) for v in np.round(origin + axis[:2] * length))
        cv2.line(canvas, start, end, axis_color, thickness, cv2.LINE_AA)
