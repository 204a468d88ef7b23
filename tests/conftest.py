"""Shared test helpers. Real data comes from ../shared beside the repository (read-only)."""
import os.path as osp

import mmpose_pipnet  # noqa: F401  (stack fixes before anything imports torchvision)
import pytest
from mmpose.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED = osp.join(osp.dirname(REPO), 'shared')
FACE_SAMPLES = osp.join(SHARED, 'data', 'mmpose-face-samples')
YTF68 = osp.join(SHARED, 'data', 'ytf68')
CONFIGS = osp.join(REPO, 'configs', 'pipnet')

register_all_modules(init_default_scope=True)


def pytest_collection_modifyitems(config, items):
    if not (osp.isdir(FACE_SAMPLES) and osp.isdir(YTF68)):
        skip = pytest.mark.skip(reason=f'shared data not found at {SHARED}')
        for item in items:
            if 'shared_data' in item.keywords:
                item.add_marker(skip)
