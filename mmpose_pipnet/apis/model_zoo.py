"""The files that ship with the package: configs, the metafile and the bundled weights.

MMPose's layout: in a source checkout they are the repository's ``configs/``,
``checkpoints/`` and ``model-index.yml``; an installed wheel carries copies in the
package's ``.mim/`` folder (``setup.py`` puts them there). :func:`package_files_dir`
finds whichever is present, with MMEngine's own rule
(``BaseInferencer._get_repo_or_mim_dir``), so the defaults below work from anywhere.

Models are named in ``model-index.yml`` -> ``configs/pipnet/metafile.yml`` by name or
alias, as MMPose names ``rtmpose-m``::

    config, weights = resolve_model('pipnet-ytf68')
"""
import os.path as osp
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from mmengine.infer import BaseInferencer

from ..utils.errors import InputError

#: Alias of the default model (PIPNet-MobileNetV2 on ytf68, 68 points).
DEFAULT_MODEL = 'pipnet-ytf68'


@lru_cache(maxsize=None)
def package_files_dir() -> str:
    """The folder holding ``configs/``, ``checkpoints/`` and ``model-index.yml``: the
    repository root of a source checkout, or ``mmpose_pipnet/.mim`` of an installed wheel."""
    try:
        return BaseInferencer._get_repo_or_mim_dir('mmpose_pipnet')
    except FileNotFoundError:
        raise InputError('mmpose_pipnet: neither a source checkout (configs/ beside the '
                         'package) nor an installed copy (mmpose_pipnet/.mim/configs): '
                         'reinstall the package') from None


def config_path(name: str) -> str:
    """A shipped config by its path under ``configs/`` (``'pipnet/ytf68_mbv2.py'``)."""
    path = osp.join(package_files_dir(), 'configs', name)
    if not osp.isfile(path):
        raise InputError(f'mmpose_pipnet: no shipped config configs/{name}')
    return path


def list_models() -> List[Dict]:
    """The metafile's models: dicts with ``Name``, ``Alias``, ``Config``, ``Weights``."""
    return list(BaseInferencer._get_models_from_metafile(package_files_dir()))


def _names(model: Dict) -> List[str]:
    """A metafile model's name and aliases."""
    aliases = model.get('Alias', [])
    return [model['Name']] + ([aliases] if isinstance(aliases, str) else list(aliases))


def is_shipped_model(name: str) -> bool:
    """Whether ``name`` is a shipped model's name or alias (case-insensitive)."""
    return name.lower() in {n.lower() for model in list_models() for n in _names(model)}


def _shipped_file(name: str, model: Dict, key: str) -> Optional[str]:
    """The path of a metafile model's file field ``key`` in this installation (None
    where the model has no such field); a one-line error where the file is missing."""
    if not model.get(key):
        return None
    root = package_files_dir()
    path = osp.join(root, model[key])
    if not osp.isfile(path):
        raise InputError(f'model {name!r}: its {key.lower()} file {model[key]} is not in this '
                         f'installation ({root})')
    return path


def _find_model(name: str) -> Dict:
    """A shipped model's metafile entry by name or alias (case-insensitive); a one-line
    error listing the known names otherwise."""
    models = list_models()
    for model in models:
        if name.lower() in (n.lower() for n in _names(model)):
            return model
    known = ', '.join(n for model in models for n in _names(model))
    raise InputError(f'unknown model {name!r}; shipped models: {known}')


def resolve_model(name: str) -> Tuple[str, Optional[str]]:
    """(config file, weights file) of a shipped model given by name or alias
    (case-insensitive); a one-line error listing the known names otherwise."""
    model = _find_model(name)
    return osp.join(package_files_dir(), model['Config']), _shipped_file(name, model, 'Weights')


def resolve_int8_onnx(name: str) -> Optional[str]:
    """The int8 ONNX Runtime graph that ships with a model (metafile ``Int8 ONNX``: its
    weights exported and quantised by ``tools/deploy/export_onnx.py --int8``), or None
    where the model has none."""
    return _shipped_file(name, _find_model(name), 'Int8 ONNX')


def is_model_name(name: str) -> bool:
    """Whether ``name`` is a model name or alias rather than a file path."""
    return not osp.exists(name) and not name.endswith('.py') and osp.sep not in name


DEFAULT_CONFIG, DEFAULT_CHECKPOINT = resolve_model(DEFAULT_MODEL)
DEFAULT_FACE_DETECTOR = config_path('face_detection/yunet_face.py')
