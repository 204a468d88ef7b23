"""The browser demo (``pipnet-web``, mmpose_pipnet/apis/web_demo.py), end to end: the server
runs in a subprocess (``demo/web_demo.py``, the bundled model) on a free port; its endpoint
is checked over plain HTTP, then the page in a real, offline Chromium driven by Playwright
(Debian's /usr/bin/chromium, never a browser Playwright downloads): matplotlib's
grace_hopper.jpg uploaded through the file input gives one face whose landmarks match
``FaceLandmarker`` in this process, its head pose, the drawn photo at full size and the JSON
to download; a text file gives the one-line error and HTTP 400; a webcam snapshot (Chromium's
fake camera playing the sample photo) gives the same face."""
import base64
import json
import os
import os.path as osp
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from importlib.metadata import entry_points

import cv2
import numpy as np
import pytest

from conftest import REPO
from mmpose_pipnet.apis import FaceLandmarker
from mmpose_pipnet.apis.landmarks_cli import sample_image
from mmpose_pipnet.apis.web_demo import LANDMARKS_ROUTE, MAX_UPLOAD_BYTES

CHROMIUM = '/usr/bin/chromium'
# Without the networking switches Chromium waits on this machine's refused connections.
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
                 '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync']
START_TIMEOUT_S = 180  # model load on a busy 2-core machine
KEYPOINT_TOLERANCE_PX = 0.5  # the same decoder and model: only the JSON's rounding differs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    """The base URL of a ``demo/web_demo.py`` server, up and answering."""
    port = free_port()
    log_path = tmp_path_factory.mktemp('web_demo') / 'server.log'
    with open(log_path, 'w') as log:
        process = subprocess.Popen([sys.executable, 'demo/web_demo.py', '--port', str(port)],
                                   cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}/'
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, 'server exited:\n' + log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, \
                f'server not up in {START_TIMEOUT_S} s:\n' + log_path.read_text()[-3000:]
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope='module')
def photo():
    """The sample's path, BGR image and its landmarks by ``FaceLandmarker`` in-process."""
    path = sample_image()
    image = cv2.imread(path)
    return path, image, FaceLandmarker()(image)


def post(url: str, data: bytes, name: str):
    """(status, JSON answer) of an upload to the landmarks endpoint."""
    request = urllib.request.Request(f'{url.rstrip("/")}{LANDMARKS_ROUTE}?name={name}',
                                     data=data, method='POST')
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def png_header(width: int, height: int) -> bytes:
    """A PNG with a valid header (IHDR) of that size and no pixel data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack('>I', len(body)) + kind + body + struct.pack(
            '>I', zlib.crc32(kind + body))
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IEND', b'')


def check_face(face: dict, expected, index: int = 0) -> None:
    """One face of the JSON against the in-process landmarks."""
    keypoints = np.array(face['keypoints'])
    assert keypoints.shape == (68, 2)
    assert np.abs(keypoints - expected.keypoints[index]).max() < KEYPOINT_TOLERANCE_PX
    x1, y1, x2, y2 = face['bbox']
    mean_x, mean_y = keypoints.mean(0)
    assert x1 < mean_x < x2 and y1 < mean_y < y2
    assert set(face['head_pose']) == {'yaw', 'pitch', 'roll'}
    assert np.allclose(list(face['head_pose'].values()), expected.head_pose[index], atol=0.2)


def test_pipnet_web_console_script_is_registered():
    (script, ) = [e for e in entry_points(group='console_scripts') if e.name == 'pipnet-web']
    assert script.value == 'mmpose_pipnet.apis.web_demo:main'


@pytest.mark.slow
def test_endpoint_over_http(server, photo):
    path, image, expected = photo
    with urllib.request.urlopen(server, timeout=10) as response:
        page = response.read().decode()
    assert '<input type="file"' in page and '://' not in page  # nothing from elsewhere

    with open(path, 'rb') as f:
        status, result = post(server, f.read(), 'grace_hopper.jpg')
    assert status == 200
    assert (result['image'], result['width'], result['height']) == (
        'grace_hopper.jpg', image.shape[1], image.shape[0])
    (face, ) = result['faces']
    check_face(face, expected)
    prefix = 'data:image/jpeg;base64,'
    assert result['drawn'].startswith(prefix)
    drawn = cv2.imdecode(np.frombuffer(base64.b64decode(result['drawn'][len(prefix):]),
                                       np.uint8), cv2.IMREAD_COLOR)
    assert drawn.shape == image.shape
    assert np.abs(drawn.astype(int) - image).mean() > 0.5  # something is drawn on it

    for data, name, message in [
            (b'no pixels here', 'notes.txt', 'notes.txt: not an image OpenCV can read'),
            (b'', 'empty.jpg', 'empty.jpg: empty upload'),
            (b'\xff' * (MAX_UPLOAD_BYTES + 1), 'big.jpg', 'big.jpg: upload too large'),
            (png_header(20000, 20000), 'bomb.png', 'bomb.png: image too large')]:
        status, answer = post(server, data, name)
        assert status == 400, name
        assert answer['error'].startswith(message) and '\n' not in answer['error'], answer
    status, answer = post(server + 'api/nothing', b'x', 'x')
    assert status == 404
    with urllib.request.urlopen(server + 'sample.jpg', timeout=10) as response:
        assert 'filename="grace_hopper.jpg"' in response.headers['Content-Disposition']


@pytest.mark.slow
@pytest.mark.skipif(not osp.isfile(CHROMIUM) and not os.environ.get('PIPNET_CI'),
                    reason=f'no Chromium at {CHROMIUM} (Debian package \'chromium\'; '
                           'tools/setup_env.sh installs it as root)')
def test_page_in_chromium(server, photo, tmp_path):
    """(In CI, .ci/run sets PIPNET_CI: a missing browser fails the test, not skips it.)"""
    from playwright.sync_api import sync_playwright
    path, image, expected = photo
    not_an_image = tmp_path / 'notes.txt'
    not_an_image.write_text('no pixels here\n')
    requests, page_errors = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / 'profile'), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport=dict(width=1280, height=860))
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.on('request', lambda request: requests.append(request.url))
            page.on('pageerror', lambda error: page_errors.append(str(error)))
            page.goto(server)

            page.set_input_files('#file', path)
            page.click('#run')
            page.wait_for_selector('#output', state='visible')
            page.wait_for_function('document.getElementById("result").complete && '
                                   'document.getElementById("result").naturalWidth > 0')
            assert page.inner_text('#status').startswith('1 face in grace_hopper.jpg')
            assert page.locator('#faces tbody tr').count() == 1
            shown = json.loads(page.inner_text('#json'))
            assert shown['image'] == 'grace_hopper.jpg'
            (face, ) = shown['faces']
            check_face(face, expected)
            assert page.eval_on_selector('#result', 'img => img.naturalWidth') == image.shape[1]
            assert page.eval_on_selector('#result', 'img => img.naturalHeight') == image.shape[0]
            with page.expect_download() as download:
                page.click('#download')
            assert download.value.suggested_filename == 'grace_hopper_landmarks.json'
            with open(download.value.path()) as f:
                assert json.load(f) == shown
            page.screenshot(path=str(tmp_path / 'web_demo.png'), full_page=True)

            page.set_input_files('#file', str(not_an_image))
            with page.expect_response(lambda r: LANDMARKS_ROUTE in r.url) as response:
                page.click('#run')
            assert response.value.status == 400
            page.wait_for_selector('#error', state='visible')
            assert page.inner_text('#error').startswith('notes.txt: not an image')
            assert page.inner_text('#status') == ''
            assert page.locator('#output').is_hidden()  # not the last photo's result

            page.click('#sample')  # the sample button clears the error
            page.wait_for_selector('#error', state='hidden')
            page.wait_for_function('document.getElementById("status").textContent'
                                   '.startsWith("1 face in grace_hopper.jpg")')
        finally:
            browser.close()
    assert not page_errors
    assert all(url.startswith((server, 'data:', 'blob:')) for url in requests), requests


def write_y4m(path, image: np.ndarray, frames: int = 2) -> str:
    """A BGR image as a Y4M video (4:2:0), the file Chromium's fake webcam plays."""
    height, width = image.shape[:2]
    planes = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420).tobytes()  # Y, then U, then V
    with open(path, 'wb') as f:
        f.write(f'YUV4MPEG2 W{width} H{height} F25:1 Ip A1:1 C420jpeg\n'.encode())
        for _ in range(frames):
            f.write(b'FRAME\n' + planes)
    return str(path)


@pytest.mark.slow
@pytest.mark.skipif(not osp.isfile(CHROMIUM) and not os.environ.get('PIPNET_CI'),
                    reason=f'no Chromium at {CHROMIUM}')
def test_webcam_snapshot_in_chromium(server, photo, tmp_path):
    """The webcam button with Chromium's fake camera playing the sample photo: the preview
    starts, a snapshot is analysed as webcam.jpg and its one face lands where the photo's
    does (a JPEG of a 4:2:0 frame: within 2 px, 0.96 px measured); stopping releases the
    camera."""
    from playwright.sync_api import sync_playwright
    path, image, expected = photo
    camera = write_y4m(tmp_path / 'camera.y4m', image[:image.shape[0] // 2 * 2,
                                                       :image.shape[1] // 2 * 2])
    fake_camera = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
                   f'--use-file-for-fake-video-capture={camera}']
    page_errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / 'profile'), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS + fake_camera, viewport=dict(width=1280, height=860))
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.on('pageerror', lambda error: page_errors.append(str(error)))
            page.goto(server)
            assert page.locator('#snapshot').is_hidden()
            page.click('#camera')
            page.wait_for_function('document.getElementById("video").videoWidth > 0')
            assert page.inner_text('#camera') == 'Stop the webcam'
            # the camera plays the file at its own size, so the snapshot is the photo's
            width, height = image.shape[1] // 2 * 2, image.shape[0] // 2 * 2
            assert page.eval_on_selector('#video', 'v => [v.videoWidth, v.videoHeight]') \
                == [width, height]
            page.click('#snapshot')
            page.wait_for_function('document.getElementById("status").textContent'
                                   '.startsWith("1 face in webcam.jpg")')
            assert page.inner_text('#status').endswith(f'({width} x {height} px)')
            (face, ) = json.loads(page.inner_text('#json'))['faces']
            keypoints = np.array(face['keypoints'])
            assert keypoints.shape == (68, 2)
            error = np.abs(keypoints - expected.keypoints[0]).max()
            assert error < 2.0, error
            page.click('#camera')
            assert page.locator('#video').is_hidden() and page.locator('#snapshot').is_hidden()
            assert page.eval_on_selector('#video', 'v => v.srcObject') is None
        finally:
            browser.close()
    assert not page_errors
