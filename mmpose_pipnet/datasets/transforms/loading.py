"""Image loading that turns an unreadable file into a one-line error or a counted skip."""
import logging
from typing import Optional

from mmengine.logging import print_log
from mmpose.datasets.transforms import LoadImage
from mmpose.registry import TRANSFORMS

from ...utils.errors import InputError

ON_ERROR = ('fail', 'skip')


@TRANSFORMS.register_module()
class LoadFaceImage(LoadImage):
    """MMPose's ``LoadImage``, with a choice for a missing, empty, corrupt or non-image file.

    - ``on_error='fail'`` (default): an :class:`InputError` naming the file, one line
      (MMPose's ``LoadImage`` raises whatever the decoder raised, from deep inside it);
    - ``on_error='skip'``: a warning with the file and the running count of skipped
      images, and ``None``, on which an MMEngine dataset in training mode draws another
      sample instead (in test mode MMEngine refuses a ``None``: evaluation never silently
      drops faces).

    Args:
        on_error: ``'fail'`` or ``'skip'``
        **kwargs: ``LoadImage`` arguments
    """

    def __init__(self, on_error: str = 'fail', **kwargs) -> None:
        if on_error not in ON_ERROR:
            raise InputError(f'LoadFaceImage: on_error={on_error!r}, expected one of '
                             f'{ON_ERROR}')
        super().__init__(**kwargs)
        self.on_error = on_error
        self.skipped = 0

    def transform(self, results: dict) -> Optional[dict]:
        try:
            return super().transform(results)
        except Exception:  # any decoder or file error: the file is the problem
            path = results.get('img_path')
            if self.on_error == 'fail':
                raise InputError(f'image {path} cannot be read (missing, empty, corrupt or '
                                 f'not an image); fix or remove it, or skip such images '
                                 f"with dict(type='LoadFaceImage', on_error='skip')") from None
            self.skipped += 1
            print_log(f'LoadFaceImage: skipped unreadable image {path} ({self.skipped} '
                      f'skipped so far in this process)', logger='current',
                      level=logging.WARNING)
            return None

    def __repr__(self) -> str:
        return f'{super().__repr__()[:-1]}, on_error={self.on_error!r})'
