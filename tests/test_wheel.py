"""The wheel works outside the clone: built from a copy of the repository, installed into a
fresh virtual environment that sees only the OpenMMLab stack (no editable install, no
repository on the path), and run from an empty directory: FaceLandmarker(), a model alias
through PIPNetInferencer (MMPose's MMPoseInferencer interface) and MMPose's own
MMPoseInferencer with the installed files, and the pipnet-landmarks console script."""
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig

import pytest

from conftest import REPO

IN_FRESH_ENV = """
import json, os.path as osp, sys
import matplotlib.cbook
import mmpose_pipnet
from mmpose.apis import MMPoseInferencer
from mmpose_pipnet.apis import (DEFAULT_FACE_DETECTOR, FaceLandmarker, PIPNetInferencer,
                                resolve_model)
image = str(matplotlib.cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))
faces = FaceLandmarker()(image)
(by_alias, ) = PIPNetInferencer('pipnet-ytf68')(image)
config, weights = resolve_model('pipnet-ytf68')
(mmpose_own, ) = MMPoseInferencer(pose2d=config, pose2d_weights=weights,
                                  det_model=DEFAULT_FACE_DETECTOR, det_cat_ids=0)(image)
print('RESULT', json.dumps(dict(
    package=mmpose_pipnet.__file__, config=config, weights=weights,
    landmarker=faces.keypoints.tolist(),
    alias=[p['keypoints'] for p in by_alias['predictions'][0]],
    mmpose=[p['keypoints'] for p in mmpose_own['predictions'][0]])))
"""


def run(command, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, ' '.join(map(str, command)) + '\n' + result.stderr[-3000:]
    return result


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_clone(tmp_path):
    source = tmp_path / 'src'
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        '.git', '.venv', 'data', 'work_dirs', 'build', '*.egg-info', '__pycache__',
        '.pytest_cache'))
    run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation',
         '-w', str(tmp_path / 'dist'), str(source)])
    (wheel, ) = glob.glob(str(tmp_path / 'dist' / 'mmpose_pipnet-*.whl'))

    env_dir = tmp_path / 'env'
    run([sys.executable, '-m', 'venv', '--without-pip', str(env_dir)])
    python = str(env_dir / 'bin' / 'python')
    site = run([python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'])
    site = site.stdout.strip()
    # the stack only: a path line is not processed for .pth files, so the editable
    # install of this repository in that site-packages stays invisible
    with open(osp.join(site, 'openmmlab_stack.pth'), 'w') as f:
        f.write(sysconfig.get_paths()['purelib'] + '\n')
    run([sys.executable, '-m', 'pip', '--python', python, 'install', '-q', '--no-deps',
         '--no-index', wheel])

    work = tmp_path / 'elsewhere'
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    result = run([python, '-c', IN_FRESH_ENV], cwd=str(work), env=env)
    (line, ) = [l for l in result.stdout.splitlines() if l.startswith('RESULT')]
    found = json.loads(line[len('RESULT '):])
    installed = osp.join(site, 'mmpose_pipnet')
    assert found['package'].startswith(installed)
    assert found['config'].startswith(osp.join(installed, '.mim', 'configs'))
    assert found['weights'].startswith(osp.join(installed, '.mim', 'checkpoints'))
    assert len(found['landmarker']) == len(found['alias']) == len(found['mmpose']) == 1
    for keypoints in (found['alias'], found['mmpose']):
        assert abs(keypoints[0][30][0] - found['landmarker'][0][30][0]) < 1e-2

    script = env_dir / 'bin' / 'pipnet-landmarks'
    assert len(run([str(script), '--help'], cwd=str(work), env=env).stdout.splitlines()) < 50
    out = run([str(script), '--out-dir', 'out'], cwd=str(work), env=env).stdout
    assert '1 face(s)' in out
    (face, ) = json.loads((work / 'out' / 'grace_hopper_landmarks.json').read_text())['faces']
    assert len(face['keypoints']) == 68
    assert set(face['head_pose']) == {'yaw', 'pitch', 'roll'}  # its table is in the wheel
    assert (work / 'out' / 'grace_hopper_landmarks.jpg').stat().st_size > 10000
    shutil.copy(work / 'out' / 'grace_hopper_landmarks.jpg', work / 'photo.jpg')
    (work / 'photos').mkdir()
    shutil.move(str(work / 'photo.jpg'), work / 'photos' / 'photo.jpg')
    (work / 'photos' / 'broken.png').write_bytes(b'not an image')
    folder = run([str(script), 'photos', '--out-dir', 'out_folder'], cwd=str(work), env=env)
    assert '1 image(s) could not be read' in folder.stdout
    assert 'images: 100%' in folder.stderr  # the progress bar
    assert (work / 'out_folder' / 'photo_landmarks.json').is_file()
