"""Image decoding shared by the dataset pipelines and the inference APIs
(:func:`decode_image`), and the loading transform that turns an unreadable file into a
one-line error or a counted skip."""
import io
import logging
from typing import Dict, Optional, Tuple

import cv2
import numpy as np
from mmengine import fileio
from mmengine.logging import print_log
from mmpose.datasets.transforms import LoadImage
from mmpose.registry import TRANSFORMS
from PIL import Image

from ...utils.errors import InputError

ON_ERROR = ('fail', 'skip')
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
EXIF_ORIENTATION = 0x0112
# the formats (Pillow's names) that Pillow decodes where OpenCV cannot: GIF, not in
# opencv-python's build. Only these: data of a format OpenCV decodes but refused is
# corrupt, and other Pillow plugins run outside programs (EPS renders with Ghostscript)
PILLOW_FORMATS = ('GIF', )


def image_header(data: bytes, name: str) -> Tuple[Optional[str], Optional[int]]:
    """Pillow's name for the format of encoded image data (``'JPEG'``, ``'GIF'``, ...)
    and its EXIF orientation tag (1-8; 1: stored upright, also where it has none or an
    invalid one); ``(None, None)`` where Pillow cannot parse the header.

    Only the header is read: ``Image.Image.getexif`` rather than ``PngImageFile``'s, which
    decodes the whole image to look for an eXIf chunk after the pixels. Pillow warns
    (``DecompressionBombWarning``) above ``PIL.Image.MAX_IMAGE_PIXELS`` pixels.

    Raises:
        InputError: over twice ``PIL.Image.MAX_IMAGE_PIXELS`` pixels (179 million by
            default), as Pillow refuses: a small file declaring huge pixels (a
            decompression bomb) would make OpenCV allocate 3 bytes per pixel, up to 3 GiB
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            orientation = Image.Image.getexif(image).get(EXIF_ORIENTATION, 1)
            return image.format, orientation if orientation in range(1, 9) else 1
    except Image.DecompressionBombError as error:
        raise InputError(f'{name}: {error} (PIL.Image.MAX_IMAGE_PIXELS sets the limit)') \
            from None
    except Exception:  # any parser error on a corrupt header
        return None, None


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """The (H, W, C) stored pixels as displayed under an EXIF orientation (1-8), as
    ``PIL.ImageOps.exif_transpose`` and OpenCV's ``imread`` turn them; contiguous."""
    if orientation in (5, 6, 7, 8):  # the stored rows are the displayed columns
        image = image.transpose(1, 0, 2)
    flip_rows, flip_cols = {2: (False, True), 3: (True, True), 4: (True, False),
                            6: (False, True), 7: (True, True), 8: (True, False)}.get(
                                orientation, (False, False))
    return np.ascontiguousarray(image[::-1 if flip_rows else 1, ::-1 if flip_cols else 1])


def decode_pillow(data: bytes) -> Optional[np.ndarray]:
    """(H, W, 3) uint8 BGR pixels of the first frame, as stored, by Pillow; ``None``
    where Pillow cannot decode it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            rgb = np.asarray(image.convert('RGB'))
    except Exception:  # any decoder error: the data is the problem
        return None
    return np.ascontiguousarray(rgb[..., ::-1])


def decode_image(data: bytes, name: str) -> np.ndarray:
    """(H, W, 3) uint8 BGR pixels of an encoded image file, as a viewer displays it.

    OpenCV decodes it (grey, alpha, palette and 16-bit images become 8-bit BGR), Pillow
    GIF, which opencv-python cannot (``PILLOW_FORMATS``; no other format reaches Pillow's
    decoders, some of which run outside programs); the EXIF orientation
    is applied for every format (OpenCV's ``imdecode`` applies it to JPEG and PNG only,
    not WebP). Truncated files are refused (OpenCV's ``imread`` decodes a truncated JPEG
    to a half-grey image, its ``imdecode`` refuses it); a PNG without its end chunk is
    refused before libpng, which would print its own errors on stderr.

    Args:
        data: the file's bytes
        name: the file, for the error message

    Raises:
        InputError: empty, truncated, corrupt, not an image, or over Pillow's pixel limit
            (:func:`image_header`)
    """
    image_format, orientation = image_header(data, name)
    truncated_png = data.startswith(PNG_SIGNATURE) and data.rfind(b'IEND') < 0
    image = None
    if data and not truncated_png:
        flags = cv2.IMREAD_COLOR if orientation is None else \
            cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION  # then applied below
        try:
            image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
        except cv2.error:  # e.g. a header beyond OpenCV's pixel limit
            image = None
    if image is None and image_format in PILLOW_FORMATS:
        image = decode_pillow(data)
    if image is None:
        raise InputError(f'{name}: not an image OpenCV can read (empty, corrupt or another '
                         f'format)')
    return image if orientation is None else apply_orientation(image, orientation)


@TRANSFORMS.register_module()
class LoadFaceImage(LoadImage):
    """MMPose's ``LoadImage`` with :func:`decode_image` (the EXIF orientation applied for
    every format, GIF read, as :func:`~mmpose_pipnet.apis.read_image` reads for
    inference) and a choice for a missing, empty, corrupt or non-image file.

    - ``on_error='fail'`` (default): an :class:`InputError` naming the file, one line
      (MMPose's ``LoadImage`` raises whatever the decoder raised, from deep inside it);
    - ``on_error='skip'``: a warning with the file and the running count of skipped
      images, and ``None``, on which an MMEngine dataset in training mode draws another
      sample instead (in test mode MMEngine refuses a ``None``: evaluation never silently
      drops faces).

    ``results['img']`` given as an array is used as it is (``LoadImage``).

    Args:
        on_error: ``'fail'`` or ``'skip'``
        to_float32: return float32 pixels (0-255) instead of uint8
        backend_args: MMEngine file backend arguments (``None``: local files)
    """

    def __init__(self, on_error: str = 'fail', to_float32: bool = False,
                 backend_args: Optional[Dict] = None) -> None:
        if on_error not in ON_ERROR:
            raise InputError(f'LoadFaceImage: on_error={on_error!r}, expected one of '
                             f'{ON_ERROR}')
        super().__init__(to_float32=to_float32, backend_args=backend_args)
        self.on_error = on_error
        self.skipped = 0

    def load(self, results: dict) -> dict:
        """``results`` with ``img`` (H, W, 3) BGR decoded from ``img_path``, ``img_shape``
        and ``ori_shape`` (H, W)."""
        path = results['img_path']
        image = decode_image(fileio.get(path, backend_args=self.backend_args), path)
        if self.to_float32:
            image = image.astype(np.float32)
        results.update(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2])
        return results

    def transform(self, results: dict) -> Optional[dict]:
        try:
            return super().transform(results) if 'img' in results else self.load(results)
        except Exception as error:  # any file or decoder error: the file is the problem
            path = results.get('img_path')
            if self.on_error == 'fail':
                prefix = f'{path}: '  # decode_image's one line names the file first
                reason = str(error)[len(prefix):] if isinstance(error, InputError) and \
                    str(error).startswith(prefix) else 'missing, empty, corrupt or not an image'
                raise InputError(f'image {path} cannot be read: {reason}; fix or remove it, '
                                 f'or skip such images with '
                                 f"dict(type='LoadFaceImage', on_error='skip')") from None
            self.skipped += 1
            print_log(f'LoadFaceImage: skipped unreadable image {path} ({self.skipped} '
                      f'skipped so far in this process)', logger='current',
                      level=logging.WARNING)
            return None

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(on_error={self.on_error!r}, '
                f'to_float32={self.to_float32}, backend_args={self.backend_args})')
