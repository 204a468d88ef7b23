from .malloc import tune_glibc_malloc

__all__ = ['tune_glibc_malloc']
