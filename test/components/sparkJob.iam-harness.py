"""Runs a Glue entry script on local Spark against moto's S3 server with IAM enforced to one policy (SparkJob tests).

Input (JSON on stdin): bucket, policy (the SparkJob role's policy), arguments (the Glue job's default arguments),
script (entry script path), pythonpath, uploads ({key: local file}), probe_key (a key the policy must not reach).
Output (JSON on stdout): returncode, log_tail, probe_denied, keys_before, keys_after.

Two adaptations to moto's IAM model, each keeping the check as strict as AWS where moto can check at all:
- moto does not evaluate the `s3:prefix` condition (it would deny every listing), so conditions are dropped and the
  listing scope is left to the policy-evaluator tests;
- moto authorizes a multi-object delete against the bucket ARN, while AWS checks each key; s3a is told to delete one
  key at a time so that moto checks each key against the policy, as AWS does.
moto's signature check is turned off: s3a's SDK v1 signs in a way moto does not reproduce, and signatures are not what
this test is about.
"""

import json
import logging
import os
import socket
import subprocess
import sys
import urllib.request

import boto3
from moto.iam import access_control
from moto.server import ThreadedMotoServer

ADMIN = {"aws_access_key_id": "admin", "aws_secret_access_key": "admin", "region_name": "us-east-1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def set_free_actions(endpoint: str, count: str) -> None:
    """How many more requests moto lets through before it enforces IAM ("0": enforce now, "inf": never)."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth", data=count.encode(), method="POST", headers={"Content-Type": "text/plain"}
    )
    urllib.request.urlopen(request, timeout=10).read()


def keys(client, bucket: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def main() -> None:
    spec = json.load(sys.stdin)
    # The server logs every request; the test reports the job's own log tail when it fails.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    access_control.S3IAMRequest.check_signature = lambda self: None
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        admin_s3 = boto3.client("s3", endpoint_url=endpoint, **ADMIN)
        iam = boto3.client("iam", endpoint_url=endpoint, **ADMIN)
        bucket = spec["bucket"]
        admin_s3.create_bucket(Bucket=bucket)
        for key, path in spec["uploads"].items():
            admin_s3.upload_file(path, bucket, key)
        policy = spec["policy"]
        for statement in policy["Statement"]:
            statement.pop("Condition", None)
        iam.create_user(UserName="glue-job")
        iam.put_user_policy(UserName="glue-job", PolicyName="job", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="glue-job")["AccessKey"]
        before = keys(admin_s3, bucket)

        set_free_actions(endpoint, "0")
        job_s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        try:
            job_s3.get_object(Bucket=bucket, Key=spec["probe_key"])
            probe_denied = False
        except job_s3.exceptions.ClientError as error:
            probe_denied = error.response["Error"]["Code"] == "AccessDenied"

        argv = []
        for name, value in spec["arguments"].items():
            argv += [name, value.replace("s3://", "s3a://", 1) if name == "--lake_root" else value]
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL_S3": endpoint,
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
            "AWS_REGION": "us-east-1",
            "PYTHONPATH": spec["pythonpath"],
            "CINELAKE_SPARK_MASTER": "local[2]",
            "CINELAKE_SHUFFLE_PARTITIONS": "2",
            "CINELAKE_DRIVER_MEMORY": "1g",
            "PYSPARK_SUBMIT_ARGS": "--conf spark.hadoop.fs.s3a.multiobjectdelete.enable=false pyspark-shell",
        }
        run = subprocess.run(
            [sys.executable, spec["script"], *argv], env=env, capture_output=True, text=True, timeout=900
        )
        set_free_actions(endpoint, "inf")
        result = {
            "returncode": run.returncode,
            "log_tail": (run.stdout + run.stderr)[-3000:],
            "probe_denied": probe_denied,
            "keys_before": before,
            "keys_after": keys(admin_s3, bucket),
        }
        print(json.dumps(result))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
