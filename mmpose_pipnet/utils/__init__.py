from .config_checks import check_data_files
from .errors import InputError

__all__ = ['check_data_files', 'InputError']
