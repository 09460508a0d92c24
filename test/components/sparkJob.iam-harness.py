"""Runs a Glue entry script on local Spark (s3a) against moto's S3 server and records every S3 request the job makes
(SparkJob tests). The test then evaluates them against the job role's policy with iam-simulate, conditions included
(test/support/s3Requests.ts), instead of moto's IAM, which cannot evaluate `s3:prefix` conditions.

Input (JSON on stdin): bucket, arguments (the Glue job's default arguments), script (entry script path), pythonpath,
uploads ({key: local file}). Output (JSON on stdout): returncode, log_tail, keys_before, keys_after, requests (the
job's S3 requests as test/support/s3_requests.py records them; the seeding and listing around it are left out).
"""

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from s3_requests import serve  # noqa: E402

CREDENTIALS = {"aws_access_key_id": "glue-job", "aws_secret_access_key": "glue-job", "region_name": "us-east-1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keys(client, bucket: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def main() -> None:
    spec = json.load(sys.stdin)
    # The server logs every request; the test reports the job's own log tail when it fails.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as work:
        log = os.path.join(work, "requests.jsonl")
        open(log, "w").close()
        server, recorder = serve("127.0.0.1", port, log)
        try:
            s3 = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)
            bucket = spec["bucket"]
            s3.create_bucket(Bucket=bucket)
            for key, path in spec["uploads"].items():
                s3.upload_file(path, bucket, key)
            before = keys(s3, bucket)

            argv = []
            for name, value in spec["arguments"].items():
                argv += [name, value.replace("s3://", "s3a://", 1) if name == "--lake_root" else value]
            env = {
                **os.environ,
                "AWS_ENDPOINT_URL_S3": endpoint,
                "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
                "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
                "AWS_REGION": "us-east-1",
                "PYTHONPATH": spec["pythonpath"],
                "CINELAKE_SPARK_MASTER": "local[2]",
                "CINELAKE_SHUFFLE_PARTITIONS": "2",
                "CINELAKE_DRIVER_MEMORY": "1g",
                # s3a deletes the `dir/` marker objects of every ancestor after each write (best effort, failures
                # ignored), keys outside the job's prefixes that Glue's own s3:// file system never deletes; keep them,
                # so the requests evaluated are the ones Glue's would need. Its `_$folder$` markers: s3Requests.test.ts.
                "PYSPARK_SUBMIT_ARGS": "--conf spark.hadoop.fs.s3a.directory.marker.retention=keep pyspark-shell",
            }
            recorder.part = "spark-job"
            run = subprocess.run(
                [sys.executable, spec["script"], *argv], env=env, capture_output=True, text=True, timeout=900
            )
            recorder.part = ""
            after = keys(s3, bucket)
        finally:
            server.shutdown()
        with open(log, encoding="utf-8") as lines:
            requests = [entry for entry in map(json.loads, lines) if entry["part"] == "spark-job"]
    result = {
        "returncode": run.returncode,
        "log_tail": (run.stdout + run.stderr)[-3000:],
        "keys_before": before,
        "keys_after": after,
        "requests": requests,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
