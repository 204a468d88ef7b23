from .errors import InputError
from .malloc import tune_glibc_malloc

__all__ = ['InputError', 'tune_glibc_malloc']
