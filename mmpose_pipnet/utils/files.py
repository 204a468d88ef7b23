"""Writing result files so that a crash never leaves half of one."""
import json
import os
import os.path as osp
from typing import Any


def dump_json_atomically(data: Any, out_file: str, **dump_kwargs: Any) -> None:
    """``json.dump(data, ...)`` into ``out_file`` through a temporary file beside it and
    ``os.replace``: a reader never sees half a file, and a crash while writing leaves the
    previous file (if any) in place. Creates the folder. ``dump_kwargs``: ``json.dump``'s
    (e.g. ``indent``)."""
    if osp.dirname(out_file):
        os.makedirs(osp.dirname(out_file), exist_ok=True)
    tmp_file = f'{out_file}.tmp{os.getpid()}'
    with open(tmp_file, 'w') as f:
        json.dump(data, f, **dump_kwargs)
    os.replace(tmp_file, out_file)
