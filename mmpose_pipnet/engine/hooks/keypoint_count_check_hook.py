"""Fail before the first iteration when the datasets and the PIPNet head disagree on K."""
from typing import Optional

from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS

from ...utils.errors import InputError
from .dataloader_check_hook import DataloaderCheckHook


@HOOKS.register_module()
class KeypointCountCheckHook(DataloaderCheckHook):
    """Compare each dataset's ``num_keypoints`` with the head's before train/val/test.

    Raises a one-line :class:`InputError` naming the dataset, its K and the head's K, instead
    of a shape error deep inside the first batch.
    """

    def _check(self, runner, loader_name: str) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        head_k: Optional[int] = getattr(getattr(model, 'head', None), 'num_keypoints', None)
        loader = getattr(runner, loader_name, None)
        dataset = getattr(loader, 'dataset', None)
        data_k = getattr(dataset, 'metainfo', {}).get('num_keypoints')
        if head_k is not None and data_k is not None and head_k != data_k:
            raise InputError(f'{loader_name}: {type(dataset).__name__} has K={data_k} '
                             f'keypoints but the head num_keypoints={head_k}')
