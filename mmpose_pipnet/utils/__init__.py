from .config_checks import check_data_files
from .errors import InputError
from .malloc import tune_glibc_malloc

__all__ = ['check_data_files', 'InputError', 'tune_glibc_malloc']
