"""The error type for mistakes in a user's data, config or files."""


class InputError(ValueError):
    """A mistake in the user's data, config or files, with a one-line message naming the
    file or field and what was expected. The tools print it as that one line and exit
    non-zero (no traceback); it is a ``ValueError``, so callers catching those still do."""
