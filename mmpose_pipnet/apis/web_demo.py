"""Face landmarks in the browser, offline: the pipnet-web console script.

It loads the model once and serves one page on localhost: upload a photo, take a webcam
snapshot or the sample (matplotlib's grace_hopper.jpg) to see it with the 68 landmarks,
boxes and head-pose axes drawn, and each face's bbox, keypoints and head_pose as JSON, to
download.
  pipnet-web                      # then open http://127.0.0.1:7860/
  pipnet-web --port 8000 --model pipnet-ytf68-person --device cuda:0

Routes: ``GET /`` the page (``web_demo.html``, no script, style or font from elsewhere),
``GET /sample.jpg`` the sample photo, ``POST /api/landmarks?name=FILE`` with the image file's
bytes as the body -> ``{"image", "width", "height", "faces", "drawn"}`` (``faces`` as
``pipnet-landmarks`` writes them, ``drawn`` a JPEG data URL), or HTTP 400 and
``{"error": "<one line>"}`` for an upload that is not an image, empty or too large::

    curl --data-binary @photo.jpg 'http://127.0.0.1:7860/api/landmarks?name=photo.jpg'
"""
import argparse
import base64
import io
import json
import os.path as osp
import sys
import threading
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import parse_qs, urlsplit

import cv2
import numpy as np

from ..datasets.transforms.loading import decode_image
from ..utils.errors import InputError
from .drawing import draw_faces
from .face_landmarks import FaceLandmarker
from .landmarks_cli import sample_image
from .model_zoo import DEFAULT_MODEL

PAGE_FILE = osp.join(osp.dirname(osp.abspath(__file__)), 'web_demo.html')
#: The largest upload accepted, bytes, and the largest image, pixels (read from the header).
MAX_UPLOAD_BYTES = 20 * 2**20
MAX_PIXELS = 50_000_000
LANDMARKS_ROUTE = '/api/landmarks'


def check_image_pixels(data: bytes) -> None:
    """A one-line :class:`InputError` for an image of more than :data:`MAX_PIXELS`, by its
    header where Pillow knows the format (nothing is decoded; otherwise OpenCV decides
    whether it is an image at all)."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(io.BytesIO(data)) as probe:
            pixels = probe.width * probe.height
    except Image.DecompressionBombError:  # over Pillow's own limit, far over ours
        pixels = MAX_PIXELS + 1
    except (UnidentifiedImageError, OSError):
        return
    if pixels > MAX_PIXELS:
        raise InputError(f'image too large: over {MAX_PIXELS // 10**6} megapixels')


def check_upload_size(size: int) -> None:
    """A one-line :class:`InputError` for an upload of ``size`` bytes that is empty or over
    :data:`MAX_UPLOAD_BYTES`."""
    if not size:
        raise InputError('empty upload: choose an image file')
    if size > MAX_UPLOAD_BYTES:
        raise InputError(f'upload too large: {size / 2**20:.1f} MB, the limit is '
                         f'{MAX_UPLOAD_BYTES // 2**20} MB')


def decode_upload(data: bytes, name: str) -> np.ndarray:
    """The BGR image of an uploaded file's bytes, as a viewer shows it (read as
    ``FaceLandmarker`` reads files: :func:`decode_image`, EXIF orientation applied).

    Raises:
        InputError: one line starting with ``name``: empty, too large, or not an image
    """
    try:
        check_upload_size(len(data))
        check_image_pixels(data)
    except InputError as error:
        raise InputError(f'{name}: {error}') from None
    return decode_image(data, name)


class WebDemo:
    """What the server answers with: the page, the sample and landmarks of an upload.

    Args:
        landmarker: the loaded model; calls are serialised (one image at a time)
    """

    def __init__(self, landmarker: FaceLandmarker) -> None:
        self.landmarker = landmarker
        self.lock = threading.Lock()
        with open(PAGE_FILE, 'rb') as f:
            self.page = f.read()
        self.sample_path = sample_image()
        with open(self.sample_path, 'rb') as f:
            self.sample = f.read()

    def analyse(self, data: bytes, name: str) -> Dict:
        """The landmarks of an uploaded image file: ``image`` (its name), ``width``,
        ``height``, ``faces`` (:meth:`Faces.to_list`) and ``drawn``, the image with
        :func:`draw_faces` as a JPEG data URL."""
        image = decode_upload(data, name)
        with self.lock:
            faces = self.landmarker(image)
        _, jpeg = cv2.imencode('.jpg', draw_faces(image, faces), [cv2.IMWRITE_JPEG_QUALITY, 90])
        height, width = image.shape[:2]
        return dict(image=name, width=width, height=height, faces=faces.to_list(),
                    drawn='data:image/jpeg;base64,' + base64.b64encode(jpeg).decode())


class DemoServer(ThreadingHTTPServer):
    """An HTTP server (a thread per request) answering with a :class:`WebDemo`."""
    daemon_threads = True

    def __init__(self, address: Tuple[str, int], demo: WebDemo) -> None:
        super().__init__(address, DemoHandler)
        self.demo = demo


class DemoHandler(BaseHTTPRequestHandler):
    """The routes of the module doc."""
    server: DemoServer

    def do_GET(self) -> None:
        """The page and the sample photo."""
        path = urlsplit(self.path).path
        demo = self.server.demo
        if path == '/':
            self.send(HTTPStatus.OK, demo.page, 'text/html; charset=utf-8')
        elif path == '/sample.jpg':
            name = osp.basename(demo.sample_path)
            self.send(HTTPStatus.OK, demo.sample, 'image/jpeg',
                      [('Content-Disposition', f'inline; filename="{name}"')])
        else:
            self.send_json(HTTPStatus.NOT_FOUND, dict(error=f'no page {path}'))

    def do_POST(self) -> None:
        """Landmarks of the uploaded image: JSON, or a one-line error."""
        url = urlsplit(self.path)
        name = parse_qs(url.query).get('name', ['upload'])[0]
        try:
            try:
                data = self.read_body()
            except InputError as error:  # the upload's own errors name it (decode_upload)
                raise InputError(f'{name}: {error}') from None
            if url.path != LANDMARKS_ROUTE:
                self.send_json(HTTPStatus.NOT_FOUND, dict(error=f'no endpoint {url.path}'))
                return
            result = self.server.demo.analyse(data, name)
        except InputError as error:
            self.send_json(HTTPStatus.BAD_REQUEST, dict(error=f'{error}'))
        except Exception as error:
            # the server's own fault: one line for the page, the traceback on its console
            traceback.print_exc()
            self.send_json(HTTPStatus.INTERNAL_SERVER_ERROR,
                           dict(error=f'server error: {type(error).__name__}: {error}'))
        else:
            self.send_json(HTTPStatus.OK, result)

    def read_body(self) -> bytes:
        """The request body; one that is too large is read to its end and dropped (so the
        client gets the one-line answer, not a reset connection), then refused."""
        length = self.headers.get('Content-Length', '')
        if not length.isdigit():
            raise InputError('no Content-Length header')
        size = int(length)
        if size > MAX_UPLOAD_BYTES:
            remaining = size
            while remaining > 0 and (chunk := self.rfile.read(min(remaining, 2**20))):
                remaining -= len(chunk)
            check_upload_size(size)
        return self.rfile.read(size)

    def send_json(self, status: HTTPStatus, content: Dict) -> None:
        """Answer with ``content`` as JSON."""
        self.send(status, json.dumps(content).encode(), 'application/json')

    def send(self, status: HTTPStatus, body: bytes, content_type: str,
             headers: Sequence[Tuple[str, str]] = ()) -> None:
        """Answer with ``body``, never cached, and any further ``headers``."""
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


def build_parser(prog: Optional[str] = None) -> argparse.ArgumentParser:
    """The options of ``pipnet-web``."""
    parser = argparse.ArgumentParser(
        prog=prog, description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.split('\n\n')[1].splitlines()[-2:]))
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to listen on (127.0.0.1: this computer only; 0.0.0.0: '
                             'every interface)')
    parser.add_argument('--port', type=int, default=7860, help='port to listen on (7860)')
    parser.add_argument('--model', default=DEFAULT_MODEL, metavar='NAME',
                        help='shipped model name/alias, or a PIPNet config file')
    parser.add_argument('--checkpoint', metavar='PTH', help="weights (default: the model's own)")
    parser.add_argument('--device', default='cpu', metavar='DEV', help='cpu, cuda:0, ...')
    return parser


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> None:
    """The ``pipnet-web`` console script (and ``demo/web_demo.py``)."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        if args.model.endswith('.py') and args.checkpoint is None:
            raise InputError(f'--model {args.model}: a config file needs --checkpoint')
        demo = WebDemo(FaceLandmarker(args.model, args.checkpoint, device=args.device))
    except (ValueError, OSError) as error:  # InputError is a ValueError
        sys.exit(f'{parser.prog}: {error}')
    try:
        server = DemoServer((args.host, args.port), demo)
    except OSError as error:
        sys.exit(f'{parser.prog}: cannot listen on {args.host}:{args.port}: '
                 f'{error.strerror or error}')
    host, port = server.server_address[:2]
    print(f'{parser.prog}: {args.model} on {args.device}; open http://{host}:{port}/ '
          f'(Ctrl+C stops)', flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
