"""What the running CPU can do fast: its model and vector / matrix extensions.

Used to pick the ONNX Runtime precision (:func:`fast_int8`) and named beside every speed
figure (``tools/analysis/benchmark.py``). Linux reads ``/proc/cpuinfo``; elsewhere only
the model and core count are known and the float32 path is kept.
"""
import os
import platform
from typing import Dict


def cpu_info() -> Dict:
    """The CPU model and its vector / matrix extensions, from /proc/cpuinfo (Linux)."""
    info = dict(model=platform.processor() or platform.machine(), cores=os.cpu_count())
    try:
        with open('/proc/cpuinfo') as f:
            text = f.read()
    except OSError:
        return info
    fields = {}
    for line in text.split('\n\n')[0].splitlines():
        key, _, value = line.partition(':')
        fields[key.strip()] = value.strip()
    flags = set(fields.get('flags', '').split())
    info['model'] = fields.get('model name', info['model'])
    info.update(avx2='avx2' in flags, avx512='avx512f' in flags,
                vnni=bool(flags & {'avx512_vnni', 'avx_vnni'}),
                bf16=bool(flags & {'avx512_bf16', 'amx_bf16'}),
                amx=bool(flags & {'amx_tile', 'amx_int8', 'amx_bf16'}),
                vnni_flags=sorted(flags & {'avx512_vnni', 'avx_vnni'}),
                bf16_flags=sorted(flags & {'avx512_bf16', 'amx_bf16'}),
                amx_flags=sorted(f for f in flags if f.startswith('amx')))
    return info


def cpu_line(info: Dict) -> str:
    """One line: the CPU model, cores, and yes / no for AVX2, AVX-512, VNNI (int8 dot
    products), bf16 (AVX-512 BF16 or AMX-BF16) and AMX, with the flags found."""
    if 'avx2' not in info:
        return f'cpu: {info["model"]}, {info["cores"]} cores (no /proc/cpuinfo flags)'
    yes = {True: 'yes', False: 'no'}

    def flags(key):
        return f' ({", ".join(info[key])})' if info[key] else ''
    return (f'cpu: {info["model"]}, {info["cores"]} cores; AVX2 {yes[info["avx2"]]}, '
            f'AVX-512 {yes[info["avx512"]]}, VNNI {yes[info["vnni"]]}{flags("vnni_flags")}, '
            f'bf16 {yes[info["bf16"]]}{flags("bf16_flags")}, AMX {yes[info["amx"]]}'
            f'{flags("amx_flags")}')


def fast_int8(info: Dict) -> bool:
    """Whether int8 is the faster ONNX Runtime path on this CPU: it has int8 dot-product
    instructions (VNNI, or AMX's int8 tiles), where the shipped int8 graphs ran 0.58-0.74x
    float32's time (docs/benchmarks.md). Without them (AVX2 only) int8 is unmeasured here
    and ONNX Runtime's U8S8 kernels can saturate, so float32 stays the choice."""
    return bool(info.get('vnni') or 'amx_int8' in info.get('amx_flags', ()))
