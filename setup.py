"""mmpose_pipnet: PIPNet for MMPose 1.x (set-up: tools/setup_env.sh; versions: README).

A wheel (``pip wheel --no-deps . -w dist``) carries, besides the package, what its defaults need
outside the clone, in ``mmpose_pipnet/.mim/`` as MMPose keeps its own: the configs
(zoo, recipe, face detectors), ``model-index.yml`` with the metafile, and the shipped
weights; plus the start-up hook that lets PyPI's torchvision import beside a CPU torch
(``mmpose_pipnet_torchvision_guard.py``). An editable install reads them from the
repository instead.
"""
import glob
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

here = osp.dirname(osp.abspath(__file__))
version: dict = {}
with open(osp.join(here, 'mmpose_pipnet', 'version.py')) as f:
    exec(f.read(), version)

#: Files copied into mmpose_pipnet/.mim/ of a wheel (globs relative to the repository).
MIM_FILES = ['model-index.yml', 'configs/**/*.py', 'configs/**/*.yml', 'configs/**/*.md',
             'checkpoints/pipnet_mbv2_ytf68.pth', 'checkpoints/pipnet_mbv2_ytf68_person.pth',
             'checkpoints/pipnet_lite_ytf68.pth', 'checkpoints/pipnet_mbv2_ytf68_int8.onnx',
             'checkpoints/pipnet_lite_ytf68_int8.onnx']
TORCHVISION_GUARD_PTH = 'zz_mmpose_pipnet_torchvision_guard.pth'


class BuildWithPackageFiles(build_py):
    """``build_py`` that also copies :data:`MIM_FILES` into the package's ``.mim/`` and
    writes the torchvision start-up hook beside the package."""

    def run(self) -> None:
        super().run()
        mim = osp.join(self.build_lib, 'mmpose_pipnet', '.mim')
        for pattern in MIM_FILES:
            files = glob.glob(osp.join(here, pattern), recursive=True)
            if not files:
                raise FileNotFoundError(f'setup.py: no file matches {pattern}')
            for src in files:
                dst = osp.join(mim, osp.relpath(src, here))
                os.makedirs(osp.dirname(dst), exist_ok=True)
                shutil.copyfile(src, dst)
        with open(osp.join(self.build_lib, TORCHVISION_GUARD_PTH), 'w') as f:
            f.write('import mmpose_pipnet_torchvision_guard; '
                    'mmpose_pipnet_torchvision_guard.install()\n')


def read_requirements(name: str) -> list:
    with open(osp.join(here, 'requirements', name)) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith('#')]


setup(
    name='mmpose_pipnet',
    version=version['__version__'],
    description='PIPNet (Pixel-in-Pixel Net) face landmarks as an MMPose 1.x plugin',
    long_description=open(osp.join(here, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mmpose_pipnet', 'mmpose_pipnet.*']),
    py_modules=['mmpose_pipnet_torchvision_guard', 'pipnet_onnxruntime'],
    package_data={'mmpose_pipnet': ['meanfaces/*.txt', 'apis/head_pose_sfm68.txt',
                                    'apis/web_demo.html']},
    cmdclass={'build_py': BuildWithPackageFiles},
    entry_points={'console_scripts': [
        'pipnet-landmarks = mmpose_pipnet.apis.landmarks_cli:main',
        'pipnet-web = mmpose_pipnet.apis.web_demo:main']},
    python_requires='>=3.8',
    # Ranges that admit the tested combination (README "Supported versions");
    # tools/setup_env.sh installs exactly that one, in the order the stack needs (mmcv
    # compiled with ops, mmpose without its never-imported 'chumpy').
    install_requires=[
        'torch>=2.0', 'torchvision', 'numpy<2', 'opencv-python', 'mmengine>=0.10.7,<1.0',
        'mmcv>=2.0.0,<2.2.0', 'mmdet>=3.0.0,<3.4.0', 'mmpose>=1.3.0,<1.4.0',
    ] + read_requirements('runtime.txt'),
    extras_require={'tests': read_requirements('tests.txt'),
                    'deploy': read_requirements('deploy.txt')},
    license='Apache-2.0',
)
