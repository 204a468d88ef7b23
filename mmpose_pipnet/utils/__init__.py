from .config_checks import check_data_files
from .errors import InputError
from .files import dump_json_atomically

__all__ = ['check_data_files', 'dump_json_atomically', 'InputError']
