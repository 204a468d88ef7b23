"""mmpose_pipnet: PIPNet for MMPose 1.x (set-up: tools/setup_env.sh; versions: README)."""
import os.path as osp

from setuptools import find_packages, setup

here = osp.dirname(osp.abspath(__file__))
version: dict = {}
with open(osp.join(here, 'mmpose_pipnet', 'version.py')) as f:
    exec(f.read(), version)


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
    package_data={'mmpose_pipnet': ['meanfaces/*.txt']},
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
