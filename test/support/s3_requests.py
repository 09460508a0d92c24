"""moto's S3 API server with every request it answers recorded as one JSON line, for the IAM request evaluation.

Recorded at the server, so the Node SDK, the Lambda bundle and Spark's Java s3a client are covered alike. Each line:
method, bucket, key (decoded), query (names and first values), copy_source (CopyObject/UploadPartCopy), delete_keys
(a DeleteObjects body), target (X-Amz-Target, for non-S3 APIs on the same server), status, and the part the test said
was running (`POST /_recorder/part` with the part's name as the body; an empty body for the test's own requests).

Why not moto's own recorder (MOTO_ENABLE_RECORDING, /moto-api/recorder/...): it writes each request before it is
answered, so it cannot say which ones were answered 404, and that is what decides whether a part needs s3:ListBucket.

    python3 test/support/s3_requests.py --port 45123 --log /tmp/requests.jsonl
"""

import argparse
import io
import json
import threading
import xml.etree.ElementTree as ElementTree
from urllib.parse import parse_qsl, unquote, urlsplit

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

PART_PATH = "/_recorder/part"


class RecordingMiddleware:
    """Wraps moto's WSGI application and appends one JSON line per request to `log_path`."""

    def __init__(self, app, log_path: str):
        self.app = app
        self.log_path = log_path
        self.part = ""
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        raw = urlsplit(environ.get("RAW_URI") or environ.get("PATH_INFO", "/"))
        if raw.path == PART_PATH:
            self.part = read_body(environ).decode()
            start_response("204 No Content", [])
            return [b""]
        if raw.path.startswith("/moto-api/"):
            return self.app(environ, start_response)
        query = dict(parse_qsl(raw.query, keep_blank_values=True))
        bucket, _, key = raw.path.lstrip("/").partition("/")
        entry = {
            "part": self.part,
            "method": environ["REQUEST_METHOD"],
            "bucket": unquote(bucket),
            "key": unquote(key),
            "query": query,
            "copy_source": unquote(environ.get("HTTP_X_AMZ_COPY_SOURCE", "")) or None,
            "target": environ.get("HTTP_X_AMZ_TARGET"),
        }
        if environ["REQUEST_METHOD"] == "POST" and "delete" in query:
            body = read_body(environ)
            entry["delete_keys"] = [
                node.text for node in ElementTree.fromstring(body).iter() if node.tag.endswith("Key")
            ]
        status = {}

        def recording_start_response(status_line, headers, exc_info=None):
            status["code"] = int(status_line.split(" ", 1)[0])
            return start_response(status_line, headers, exc_info)

        response = self.app(environ, recording_start_response)
        entry["status"] = status.get("code")
        with self.lock, open(self.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")
        return response


def read_body(environ) -> bytes:
    """Reads the request body and puts it back, so moto still reads it."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def serve(host: str, port: int, log_path: str):
    """Starts the recording server in a daemon thread; returns (server, middleware). Stop with server.shutdown()."""
    middleware = RecordingMiddleware(DomainDispatcherApplication(create_backend_app), log_path)
    server = make_server(host, port, middleware, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, middleware


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    open(args.log, "w").close()
    server, _ = serve(args.host, args.port, args.log)
    print(f"recording on http://{args.host}:{args.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
