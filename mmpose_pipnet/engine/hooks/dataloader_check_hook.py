"""Base of the hooks that check each dataloader's dataset before its loop starts."""
from mmengine.hooks import Hook


class DataloaderCheckHook(Hook):
    """Calls :meth:`_check` with ``'train_dataloader'``, ``'val_dataloader'`` or
    ``'test_dataloader'`` before the training, validation or test loop."""

    priority = 'VERY_HIGH'

    def _check(self, runner, loader_name: str) -> None:
        raise NotImplementedError

    def before_train(self, runner) -> None:
        self._check(runner, 'train_dataloader')

    def before_val(self, runner) -> None:
        self._check(runner, 'val_dataloader')

    def before_test(self, runner) -> None:
        self._check(runner, 'test_dataloader')
