"""Turned faces made from the faces of a landmark dataset (face profiling, as 300W-LP was made
from 300-W: Zhu et al., "Face Alignment Across Large Poses: A 3D Solution", CVPR 2016).

For each face of an MMPose COCO json with 68 iBUG points:

1. fit the Surrey Face Model (Huber et al., VISAPP 2016; the public 3448-vertex shape model
   with its expression blendshapes, eos project) to the 68 points: shape, expression and a
   scaled-orthographic pose, with eos's contour fitting;
2. turn the fitted head about the vertical axis (away from the camera, in the direction the
   face already looks, so that what becomes visible was visible) and tilt it a little;
3. render the new view from the image's own texture: a z-buffer over the mesh's triangles
   maps each face pixel of the new view to the source pixel its surface point came from;
   outside the face the displacement is extended smoothly and fades to zero, so the
   background, hair and neck move with the face edge without a seam;
4. move the landmarks: the inner 51 points ride on the surface point under them, the jaw
   points on the side turning away march to the new silhouette (HPEN's landmark marching:
   300-W marks the jaw on the visible outline), those on the side turning to the camera
   stay on their surface point.

Output: the images under ``OUT_DIR/images/`` (the source folder structure, one file per view)
and ``OUT_DIR/ANN_NAME`` (MMPose COCO json, boxes as the source json's: the points' tight
square), deterministic for a given ``--seed`` (each face draws from its own generator).

Needs ``pip install eos-py==1.5.0`` (only here; the dataset is made once, never at run time)
and the Surrey Face Model files (``sfm_shape_3448.bin``, ``expression_blendshapes_3448.bin``,
``ibug_to_sfm.txt``, ``sfm_3448_edge_topology.json``, ``sfm_model_contours.json``).

Examples:
    # training views: one per face, |yaw| drawn in [30, 75] degrees, pitch +-10
    python tools/dataset_converters/synthesize_turned_faces.py \\
        data/ytf68_coco/ytf68_person_train.json data/ytf68 SFM_DIR data/ytf68_turned \\
        --views 1 --yaw-range 30 75 --pitch-range -10 10
    # evaluation views of the held-out people at |yaw| 30, 45 and 60 degrees
    python tools/dataset_converters/synthesize_turned_faces.py \\
        data/ytf68_coco/ytf68_person_held_out.json data/ytf68 SFM_DIR \\
        data/ytf68_turned_held_out --yaws 30 45 60
"""
import argparse
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmpose_pipnet.apis.head_pose import angles_from_rotation, rotation_matrix
from mmpose_pipnet.datasets.converters import landmark_annotation, write_coco
from mmpose_pipnet.utils.errors import InputError

NUM_POINTS = 68
JAW = np.arange(17)
INNER = np.arange(17, NUM_POINTS)
# Angles (degrees, model x y plane about the nose tip, 0 = the subject's left, -90 = down)
# of the sectors along which the jaw points march.
SECTOR_ANGLES = np.arange(-210.0, 30.1, 1.0)
SECTOR_HALF_WIDTH = 4.0
# OpenGL axes (eos: x right, y up, z to the viewer) <-> head_pose's (x right, y down, z away);
# the model's axes flip the same way, so a rotation converts as F @ R @ F.
_GL_TO_CV = np.diag([1.0, -1.0, -1.0])


@dataclass
class FaceFit:
    """A fitted face: ``vertices`` (V, 3) in model units (about mm; x to the subject's left,
    y up, z out of the face), ``rotation`` (3, 3) model -> camera (OpenGL axes: x right,
    y up, z towards the viewer), ``scale`` image pixels per model unit and ``translation``
    (2,) image pixels: a vertex v lands at ``scale * [x, -y] of rotation @ v + translation``."""
    vertices: np.ndarray
    rotation: np.ndarray
    scale: float
    translation: np.ndarray

    def project(self, rotation: Optional[np.ndarray] = None,
                centre: Optional[np.ndarray] = None,
                points: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
        """Image positions (V, 2) in pixels and depths (V,) (towards the viewer, model units)
        of the vertices (or of model ``points`` (V, 3)), seen with ``rotation`` (default:
        the fitted one) about the model point ``centre`` (3,), which keeps its fitted image
        position."""
        if rotation is None:
            rotation, centre = self.rotation, np.zeros(3)
        anchor = self._image_of(centre)
        camera = ((self.vertices if points is None else points) - centre) @ rotation.T
        xy = self.scale * camera[:, :2] * np.array([1.0, -1.0]) + anchor
        return xy, camera[:, 2]

    def angles(self) -> np.ndarray:
        """(3,) yaw, pitch, roll in degrees of the fitted head, in
        :mod:`mmpose_pipnet.apis.head_pose`'s convention."""
        return angles_from_rotation((_GL_TO_CV @ self.rotation @ _GL_TO_CV)[None])[0]

    def turned(self, yaw_turn: float, pitch_turn: float) -> np.ndarray:
        """(3, 3) rotation of the head turned by ``yaw_turn`` and ``pitch_turn`` degrees
        (head_pose's yaw and pitch; the roll kept)."""
        yaw, pitch, roll = self.angles()
        rotation = rotation_matrix(yaw + yaw_turn, pitch + pitch_turn, roll)[0]
        return _GL_TO_CV @ rotation @ _GL_TO_CV

    def _image_of(self, point: np.ndarray) -> np.ndarray:
        """Image position (2,) of the model ``point`` (3,) in the fitted view."""
        camera = self.rotation @ point
        return self.scale * camera[:2] * np.array([1.0, -1.0]) + self.translation


class SurreyFaceModel:
    """The Surrey Face Model and eos's fitting of it to 68 iBUG points."""

    FILES = ('sfm_shape_3448.bin', 'expression_blendshapes_3448.bin', 'ibug_to_sfm.txt',
             'sfm_3448_edge_topology.json', 'sfm_model_contours.json')

    def __init__(self, sfm_dir: str) -> None:
        for name in self.FILES:
            if not osp.isfile(osp.join(sfm_dir, name)):
                raise InputError(f'{sfm_dir}: no {name} (the Surrey Face Model files of the '
                                 'eos project are expected there)')
        try:
            import eos
        except ImportError as error:
            raise InputError('synthesize_turned_faces needs eos: pip install eos-py==1.5.0'
                             ) from error
        self.eos = eos
        path = lambda name: osp.join(sfm_dir, name)  # noqa: E731
        shape = eos.morphablemodel.load_model(path('sfm_shape_3448.bin'))
        self.model = eos.morphablemodel.MorphableModel(
            shape.get_shape_model(),
            eos.morphablemodel.load_blendshapes(path('expression_blendshapes_3448.bin')),
            color_model=eos.morphablemodel.PcaModel(), vertex_definitions=None,
            texture_coordinates=shape.get_texture_coordinates())
        self.mapper = eos.core.LandmarkMapper(path('ibug_to_sfm.txt'))
        self.edges = eos.morphablemodel.load_edge_topology(path('sfm_3448_edge_topology.json'))
        self.contour_landmarks = eos.fitting.ContourLandmarks.load(path('ibug_to_sfm.txt'))
        self.model_contour = eos.fitting.ModelContour.load(path('sfm_model_contours.json'))
        mean = np.asarray(shape.get_shape_model().get_mean(), np.float64).reshape(-1, 3)
        self.triangles = np.asarray(shape.get_shape_model().get_triangle_list(), np.int64)
        nose_tip = mean[114]  # iBUG point 31 (0-based 30) in eos's ibug_to_sfm.txt
        angle = np.degrees(np.arctan2(mean[:, 1] - nose_tip[1], mean[:, 0] - nose_tip[0]))
        # The frontal jaw outline: eos's model contour (the vertices its contour fitting
        # matches jaw points 1-8 and 10-17 to) and the chin (vertex 33, iBUG point 9).
        with open(path('sfm_model_contours.json')) as f:
            contour = json.load(f)['model_contour']
        outline = np.array(contour['right_contour'] + [33] + contour['left_contour'])
        sector_outline = outline[np.argmin(np.abs(
            (angle[outline][None] - SECTOR_ANGLES[:, None] + 180.0) % 360.0 - 180.0), 1)]
        radius = np.linalg.norm(mean[:, :2] - nose_tip[:2], axis=1)
        self.sector_outline = sector_outline
        # a sector's silhouette candidates: its vertices inside the frontal outline and in
        # front of it (the surface between the outline and the face's middle)
        self.sectors = [members[(radius[members] <= radius[o] + 1e-6) &
                                (mean[members, 2] >= mean[o, 2])]
                        for members, o in zip(_sectors(angle, SECTOR_ANGLES,
                                                       SECTOR_HALF_WIDTH), sector_outline)]
        self.sector_directions = np.stack(
            [np.cos(np.radians(SECTOR_ANGLES)), np.sin(np.radians(SECTOR_ANGLES)),
             np.zeros(len(SECTOR_ANGLES))], -1)

    def fit(self, points: np.ndarray, width: int, height: int) -> FaceFit:
        """Fit shape, expression and pose to ``points`` (68, 2) image pixels."""
        landmarks = [self.eos.core.Landmark(str(i + 1), [float(x), float(y)])
                     for i, (x, y) in enumerate(points)]
        mesh, pose, _, _ = self.eos.fitting.fit_shape_and_pose(
            self.model, landmarks, self.mapper, width, height, self.edges,
            self.contour_landmarks, self.model_contour)
        camera = np.asarray(self.eos.fitting.get_3x4_affine_camera_matrix(pose, width, height))
        rotation = np.asarray(pose.get_modelview())[:3, :3].astype(np.float64)
        scale = float(np.linalg.norm(camera[0, :3]))
        return FaceFit(np.asarray(mesh.vertices, np.float64), rotation, scale,
                       camera[:2, 3].astype(np.float64))


def _sectors(angle: np.ndarray, centres: np.ndarray, half_width: float) -> List[np.ndarray]:
    """Vertex indices within ``half_width`` degrees of each sector centre (angles wrap)."""
    difference = (angle[None, :] - centres[:, None] + 180.0) % 360.0 - 180.0
    return [np.flatnonzero(row) for row in np.abs(difference) <= half_width]


def rasterize(xy: np.ndarray, depth: np.ndarray, triangles: np.ndarray,
              height: int, width: int) -> Tuple[np.ndarray, np.ndarray]:
    """Z-buffer of a mesh, vectorised over (triangle, pixel) pairs.

    Args:
        xy: (V, 2) vertex positions in image pixels (pixel centres at integers)
        depth: (V,) towards the viewer (larger is nearer)
        triangles: (F, 3) vertex indices
    Returns:
        triangle index per pixel (H, W), -1 where no triangle is, and the barycentric
        coordinates (H, W, 3) of the pixel centre in it.
    """
    corners = xy[triangles]  # (F, 3, 2)
    low = np.clip(np.ceil(corners.min(1)), 0, [width, height]).astype(np.int64)
    high = np.clip(np.floor(corners.max(1)), -1, [width - 1, height - 1]).astype(np.int64)
    size = np.maximum(high - low + 1, 0)
    count = size[:, 0] * size[:, 1]
    face = np.repeat(np.arange(len(triangles)), count)
    local = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    px = low[face, 0] + local % np.maximum(size[face, 0], 1)
    py = low[face, 1] + local // np.maximum(size[face, 0], 1)
    a, b, c = corners[face, 0], corners[face, 1], corners[face, 2]
    v0, v1 = b - a, c - a
    v2 = np.stack([px, py], -1) - a
    det = v0[:, 0] * v1[:, 1] - v0[:, 1] * v1[:, 0]
    valid = np.abs(det) > 1e-9
    det = np.where(valid, det, 1.0)
    w1 = (v2[:, 0] * v1[:, 1] - v2[:, 1] * v1[:, 0]) / det
    w2 = (v0[:, 0] * v2[:, 1] - v0[:, 1] * v2[:, 0]) / det
    bary = np.stack([1 - w1 - w2, w1, w2], -1)
    inside = valid & (bary >= -1e-7).all(1)
    face, px, py, bary = face[inside], px[inside], py[inside], bary[inside]
    z = (bary * depth[triangles[face]]).sum(1)
    pixel = py * width + px
    order = np.lexsort((-z, pixel))
    first = order[np.r_[True, pixel[order][1:] != pixel[order][:-1]]] if len(order) else order
    triangle_map = np.full(height * width, -1, np.int64)
    bary_map = np.zeros((height * width, 3))
    triangle_map[pixel[first]] = face[first]
    bary_map[pixel[first]] = bary[first]
    return triangle_map.reshape(height, width), bary_map.reshape(height, width, 3)


def surface_points(fit: FaceFit, points: np.ndarray, triangle_map: np.ndarray,
                   triangles: np.ndarray) -> np.ndarray:
    """3D model points (P, 3) under image points (P, 2) in the fitted view: the front triangle
    at each point's pixel (or the nearest covered pixel), with the point's barycentric
    coordinates in it (so the 3D point projects back exactly onto the image point)."""
    xy, _ = fit.project()
    covered = triangle_map >= 0
    if not covered.any():
        raise InputError('synthesize_turned_faces: the fitted face covers no pixel')
    height, width = covered.shape
    col, row = np.clip(np.round(points).astype(np.int64), 0, [width - 1, height - 1]).T
    nearest = nearest_pixel(covered)[row * width + col]
    face = triangles[triangle_map.reshape(-1)[nearest]]  # (P, 3)
    a, b, c = xy[face[:, 0]], xy[face[:, 1]], xy[face[:, 2]]
    matrix = np.stack([b - a, c - a], -1)  # (P, 2, 2)
    w = np.linalg.solve(matrix, (points - a)[..., None])[..., 0]
    bary = np.stack([1 - w.sum(1), w[:, 0], w[:, 1]], -1)
    return (bary[..., None] * fit.vertices[face]).sum(1)


def nearest_pixel(mask: np.ndarray) -> np.ndarray:
    """(H * W,) flat index of each pixel's nearest ``True`` pixel of ``mask`` (H, W)
    (Euclidean; OpenCV labels the zero pixels of its input in raster order)."""
    _, label = cv2.distanceTransformWithLabels((~mask).astype(np.uint8), cv2.DIST_L2, 5,
                                               labelType=cv2.DIST_LABEL_PIXEL)
    return np.flatnonzero(mask.reshape(-1))[label.reshape(-1) - 1]


def jaw_vertices(model: SurreyFaceModel, fit: FaceFit, rotation: np.ndarray,
                 centre: np.ndarray) -> np.ndarray:
    """The visible jaw outline along every sector (S,) vertex indices, seen with
    ``rotation``: the sector's frontal outline vertex (eos's model contour) unless a vertex
    of the surface in front of it lies farther out in the image along the sector's
    direction (the side turning away: the outline marches onto the silhouette); on the
    side turning to the camera the 3D jaw line stays visible and is kept."""
    xy, _ = fit.project(rotation, centre)
    direction = (model.sector_directions @ rotation.T)[:, :2] * np.array([1.0, -1.0])
    chosen = model.sector_outline.copy()
    for s, members in enumerate(model.sectors):
        if len(members):
            farthest = members[np.argmax(xy[members] @ direction[s])]
            if xy[farthest] @ direction[s] > xy[chosen[s]] @ direction[s]:
                chosen[s] = farthest
    return chosen


@dataclass
class TurnedView:
    """A rendered view: ``image`` (H, W, 3) uint8, ``points`` (68, 2) image pixels, the
    ``face_mask`` (H, W) bool of pixels rendered from the mesh, ``source_xy`` (H, W, 2)
    the source pixel each pixel was sampled at, and the fraction of face pixels whose
    source was hidden (filled from the nearby face)."""
    image: np.ndarray
    points: np.ndarray
    face_mask: np.ndarray
    source_xy: np.ndarray
    hidden_fraction: float


def turn_face(model: SurreyFaceModel, image: np.ndarray, points: np.ndarray,
              yaw_turn: float, pitch_turn: float = 0.0,
              fit: Optional[FaceFit] = None) -> TurnedView:
    """Render ``image``'s face (68 ``points``, image pixels) turned by ``yaw_turn`` degrees of
    yaw (positive: the nose moves to the image's right) and ``pitch_turn`` of pitch
    (positive: the face looks up), about the head's centre, its roll kept."""
    height, width = image.shape[:2]
    fit = fit or model.fit(points, width, height)
    triangles = model.triangles
    centre = fit.vertices.mean(0)
    rotation = fit.turned(yaw_turn, pitch_turn)
    source_xy, source_depth = fit.project()
    target_xy, target_depth = fit.project(rotation, centre)
    source_map, source_bary = rasterize(source_xy, source_depth, triangles, height, width)
    target_map, target_bary = rasterize(target_xy, target_depth, triangles, height, width)
    # A triangle shows its own texture in the source where the source's z-buffer keeps it,
    # or, too thin to own a pixel there, where no surface lies in front of its corners.
    seen = np.zeros(len(triangles), bool)
    seen[source_map[source_map >= 0]] = True
    source_z = (source_bary * source_depth[triangles[np.maximum(source_map, 0)]]).sum(2)
    corner = np.clip(np.round(source_xy).astype(np.int64), 0, [width - 1, height - 1])
    front = np.where(source_map >= 0, source_z, -np.inf)[corner[:, 1], corner[:, 0]]
    seen |= (source_depth >= front - 2.0)[triangles].all(1)
    face = target_map >= 0
    textured = face & seen[np.maximum(target_map, 0)]
    source_of = (target_bary[..., None] * source_xy[triangles[np.maximum(target_map, 0)]]).sum(2)
    grid = np.stack(np.meshgrid(np.arange(width), np.arange(height)), -1).astype(np.float64)
    displacement = _extend_displacement(source_of - grid, textured, fit.scale)
    maps = (grid + displacement).astype(np.float32)
    rendered = cv2.remap(image, maps[..., 0], maps[..., 1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT_101)

    new_points = np.empty_like(points, dtype=np.float64)
    inner = surface_points(fit, points[INNER], source_map, triangles)
    new_points[INNER] = fit.project(rotation, centre, inner)[0]
    new_points[JAW] = _turn_jaw(model, fit, points[JAW], rotation, centre, source_xy,
                                target_xy)
    hidden = float((face & ~textured).sum() / max(face.sum(), 1))
    return TurnedView(rendered, new_points, face, maps, hidden)


def _turn_jaw(model: SurreyFaceModel, fit: FaceFit, jaw: np.ndarray, rotation: np.ndarray,
              centre: np.ndarray, source_xy: np.ndarray, target_xy: np.ndarray) -> np.ndarray:
    """New jaw points (17, 2): each source jaw point is matched to the sector whose visible
    outline vertex lies nearest to it in the source view; it moves with that sector's
    visible outline in the new view, keeping its offset from the fitted outline."""
    source_outline = jaw_vertices(model, fit, fit.rotation, np.zeros(3))
    target_outline = jaw_vertices(model, fit, rotation, centre)
    distance = ((source_xy[source_outline][None] - jaw[:, None]) ** 2).sum(-1)  # (17, S)
    sector = _ordered_nearest(distance)
    offset = jaw - source_xy[source_outline[sector]]
    return target_xy[target_outline[sector]] + offset


def _ordered_nearest(distance: np.ndarray) -> np.ndarray:
    """For points along a contour, the nearest of an ordered set of sectors such that the
    sectors are non-decreasing along the contour (dynamic programming on (P, S) squared
    distances): the jaw keeps its order even where two sectors project close together."""
    cost = distance.copy()
    for p in range(1, len(cost)):
        cost[p] += np.minimum.accumulate(cost[p - 1])
    chosen = np.empty(len(cost), np.int64)
    chosen[-1] = np.argmin(cost[-1])
    for p in range(len(cost) - 2, -1, -1):
        chosen[p] = np.argmin(cost[p, :chosen[p + 1] + 1])
    return chosen


def _extend_displacement(displacement: np.ndarray, known: np.ndarray,
                         scale: float) -> np.ndarray:
    """Displacements (H, W, 2) to the source, exact on the ``known`` (textured face)
    pixels and extended over the rest of the image: just outside the textured face they
    continue its nearest pixel's, then turn (over a band of a twelfth of the face width)
    into a coarse average that fades to zero about a face width away. Face pixels whose
    source was hidden, the hair, neck and background move with the nearby face; the
    rendered face keeps its edge where the mesh puts it (where the jaw points are), and the
    map stays continuous across it, so no pasted edge is left for a model to learn."""
    face_width = 150.0 * scale  # the model's face is about 150 units wide
    band = max(face_width / 12.0, 1.0)
    weight = known.astype(np.float64)

    def averaged(sigma: float) -> Tuple[np.ndarray, np.ndarray]:
        density = cv2.GaussianBlur(weight, (0, 0), sigma)
        mean = np.stack([cv2.GaussianBlur(displacement[..., i] * weight, (0, 0), sigma)
                         for i in range(2)], -1)
        return mean / np.maximum(density, 1e-6)[..., None], density

    far, density = averaged(max(face_width / 6.0, 1.0))
    far *= np.clip(density / 0.25, 0.0, 1.0)[..., None]
    if not known.any():
        return far
    near = displacement.reshape(-1, 2)[nearest_pixel(known)].reshape(displacement.shape)
    near = cv2.GaussianBlur(near, (0, 0), 1.0)  # soften the nearest-pixel map's creases
    outside = cv2.distanceTransform((~known).astype(np.uint8), cv2.DIST_L2, 5)
    rim = (1 - np.clip(outside / band, 0.0, 1.0))[..., None]
    extended = rim * near + (1 - rim) * far
    return np.where(known[..., None], displacement, extended)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='MMPose COCO json of 68-point faces')
    parser.add_argument('img_root', help='folder the json\'s file names are relative to')
    parser.add_argument('sfm_dir', help='the Surrey Face Model files (see the docstring)')
    parser.add_argument('out_dir')
    parser.add_argument('--yaws', type=float, nargs='+', metavar='DEG',
                        help='render each face at these |yaw| (degrees), one view each')
    parser.add_argument('--yaw-range', type=float, nargs=2, default=(30.0, 75.0),
                        metavar=('LO', 'HI'), help='else draw |yaw| uniformly in this range')
    parser.add_argument('--pitch-range', type=float, nargs=2, default=(0.0, 0.0),
                        metavar=('LO', 'HI'), help='pitch turn drawn in this range (degrees)')
    parser.add_argument('--views', type=int, default=1, help='drawn views per face')
    parser.add_argument('--max-faces', type=int, help='only the first N faces')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--jpeg-quality', type=int, default=95)
    args = parser.parse_args()
    synthesize(args.ann_file, args.img_root, args.sfm_dir, args.out_dir, yaws=args.yaws,
               yaw_range=args.yaw_range, pitch_range=args.pitch_range, views=args.views,
               max_faces=args.max_faces, seed=args.seed, jpeg_quality=args.jpeg_quality)


def plan_views(source_yaw: float, rng: np.random.Generator, yaws: Optional[Sequence[float]],
               yaw_range: Sequence[float], pitch_range: Sequence[float],
               views: int) -> List[Tuple[float, float, float]]:
    """(target |yaw|, yaw turn, pitch turn) of each view of a face whose yaw is
    ``source_yaw`` (degrees): turned further the way it already looks (either way, drawn,
    for a face within 5 degrees of frontal)."""
    targets = list(yaws) if yaws else list(rng.uniform(*yaw_range, size=views))
    side = np.sign(source_yaw) if abs(source_yaw) >= 5 else rng.choice([-1.0, 1.0])
    plans = []
    for target in targets:
        pitch = float(rng.uniform(*pitch_range)) if pitch_range[1] > pitch_range[0] else 0.0
        plans.append((float(target), float(side * target - source_yaw), pitch))
    return plans


def synthesize(ann_file: str, img_root: str, sfm_dir: str, out_dir: str,
               yaws: Optional[Sequence[float]] = None,
               yaw_range: Sequence[float] = (30.0, 75.0),
               pitch_range: Sequence[float] = (0.0, 0.0), views: int = 1,
               max_faces: Optional[int] = None, seed: int = 0,
               jpeg_quality: int = 95) -> Dict:
    """Write the turned views of the faces of ``ann_file`` (see the module docstring);
    returns a summary (views written, faces skipped, mean hidden fraction)."""
    from mmengine.utils import ProgressBar
    model = SurreyFaceModel(sfm_dir)
    with open(ann_file) as f:
        coco = json.load(f)
    images = {image['id']: image for image in coco['images']}
    annotations = coco['annotations'][:max_faces]
    out_images, out_annotations, hidden, skipped = [], [], [], 0
    progress = ProgressBar(len(annotations))
    for annotation in annotations:
        source = images[annotation['image_id']]
        points = np.asarray(annotation['keypoints'], np.float64).reshape(-1, 3)[:, :2]
        if len(points) != NUM_POINTS:
            raise InputError(f'{ann_file}: annotation {annotation["id"]} has {len(points)} '
                             f'keypoints, expected {NUM_POINTS} (iBUG)')
        image = cv2.imread(osp.join(img_root, source['file_name']), cv2.IMREAD_COLOR)
        if image is None:
            raise InputError(f'{osp.join(img_root, source["file_name"])}: not a readable image')
        rng = np.random.default_rng([seed, int(annotation['id'])])
        fit = model.fit(points, image.shape[1], image.shape[0])
        source_yaw = float(fit.angles()[0])
        for v, (target, yaw_turn, pitch_turn) in enumerate(
                plan_views(source_yaw, rng, yaws, yaw_range, pitch_range, views)):
            view = turn_face(model, image, points, yaw_turn, pitch_turn, fit=fit)
            inside = ((view.points >= 0) & (view.points <= [image.shape[1] - 1,
                                                            image.shape[0] - 1])).all()
            if not inside:
                skipped += 1
                continue
            stem, _ = osp.splitext(source['file_name'])
            file_name = f'{stem}_yaw{int(round(target))}_{v}.jpg'
            path = osp.join(out_dir, 'images', file_name)
            os.makedirs(osp.dirname(path), exist_ok=True)
            cv2.imwrite(path, view.image, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
            image_id = len(out_images) + 1
            out_images.append(dict(id=image_id, file_name=file_name, width=image.shape[1],
                                   height=image.shape[0], source=source['file_name'],
                                   target_yaw=target, yaw_turn=round(yaw_turn, 3),
                                   pitch_turn=round(pitch_turn, 3)))
            entry = landmark_annotation(view.points.round(3), image_id)
            out_annotations.append(entry)
            hidden.append(view.hidden_fraction)
        progress.update()
    out_file = osp.join(out_dir, osp.basename(ann_file))
    write_coco(out_images, out_annotations, out_file)
    summary = dict(views=len(out_images), skipped_outside_image=skipped,
                   mean_hidden_fraction=float(np.mean(hidden)) if hidden else 0.0,
                   ann_file=out_file)
    print(f'\n{json.dumps(summary)}')
    return summary


if __name__ == '__main__':
    main()
