"""The Spark session of a job: Glue's own on AWS; locally, a session that reaches S3 API servers through s3a."""

import hashlib
import os
import urllib.request
from pathlib import Path

# Spark 3.5.4 ships Hadoop 3.3.4; hadoop-aws must match it exactly, and 1.12.262 is the SDK bundle it was built with.
S3A_JARS = {
    "hadoop-aws-3.3.4.jar": "org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar",
    "aws-java-sdk-bundle-1.12.262.jar": "com/amazonaws/aws-java-sdk-bundle/1.12.262/aws-java-sdk-bundle-1.12.262.jar",
}
MAVEN_CENTRAL = "https://repo1.maven.org/maven2/"
DEFAULT_JARS_DIR = Path(__file__).resolve().parents[2] / ".cache" / "spark-jars"


def on_glue() -> bool:
    """True inside an AWS Glue job run (the awsglue package only exists there)."""
    try:
        import awsglue  # noqa: F401
    except ImportError:
        return False
    return True


def _download(url: str, target: Path) -> None:
    """Downloads one jar and checks it against Maven Central's published SHA-1 before moving it into place."""
    with urllib.request.urlopen(f"{url}.sha1", timeout=60) as response:
        expected = response.read().decode().split()[0].strip()
    partial = target.with_suffix(".part")
    digest = hashlib.sha1()
    with urllib.request.urlopen(url, timeout=600) as response, partial.open("wb") as out:
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != expected:
        partial.unlink()
        raise RuntimeError(f"{url}: SHA-1 {digest.hexdigest()} does not match Maven Central's {expected}")
    partial.rename(target)


def s3a_jars(jars_dir: Path | None = None) -> list[str]:
    """The local paths of the s3a jars, downloaded once from Maven Central into a cache folder (CINELAKE_JARS_DIR)."""
    folder = Path(jars_dir or os.environ.get("CINELAKE_JARS_DIR") or DEFAULT_JARS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, path in S3A_JARS.items():
        target = folder / name
        if not target.exists():
            _download(MAVEN_CENTRAL + path, target)
        paths.append(str(target))
    return paths


def local_s3a_conf(env: dict | None = None) -> dict[str, str]:
    """Hadoop s3a settings from the standard AWS environment (endpoint, keys, region), path-style for S3 API servers."""
    env = os.environ if env is None else env
    conf = {
        "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        # Keys from the environment first, then the usual chain (profile, instance role).
        "spark.hadoop.fs.s3a.aws.credentials.provider": (
            "com.amazonaws.auth.EnvironmentVariableCredentialsProvider,"
            "com.amazonaws.auth.DefaultAWSCredentialsProviderChain"
        ),
        "spark.hadoop.fs.s3a.fast.upload": "true",
        # Commit task output straight into the destination: one rename (a copy on S3 APIs) per file instead of two.
        "spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version": "2",
    }
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        conf.update(
            {
                "spark.hadoop.fs.s3a.endpoint": endpoint,
                "spark.hadoop.fs.s3a.path.style.access": "true",
                "spark.hadoop.fs.s3a.connection.ssl.enabled": str(endpoint.startswith("https")).lower(),
                # A local server answers at once; fail fast instead of Hadoop's long retry defaults.
                "spark.hadoop.fs.s3a.attempts.maximum": "3",
                "spark.hadoop.fs.s3a.retry.limit": "3",
            }
        )
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        conf["spark.hadoop.fs.s3a.endpoint.region"] = region
    return conf


def common_conf() -> dict[str, str]:
    """Settings every run needs, on Glue and locally: UTC dates and partition overwrite that replaces one day only."""
    return {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        # Partition values stay strings (dt), as the registry declares them.
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    }


def apply_local_s3a(spark, env: dict | None = None) -> None:
    """Points an existing local session's s3a at the S3 endpoint of the current environment (before first use)."""
    if on_glue():
        return
    env = os.environ if env is None else env
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()
    for key, value in local_s3a_conf(env).items():
        hadoop.set(key.removeprefix("spark.hadoop."), value)
    # The JVM may predate the current environment (a shared session), so its own env lookup could miss the keys:
    # hand them over in memory only (never in SparkConf, which Spark can print).
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        hadoop.set("fs.s3a.access.key", env["AWS_ACCESS_KEY_ID"])
        hadoop.set("fs.s3a.secret.key", env["AWS_SECRET_ACCESS_KEY"])
        if env.get("AWS_SESSION_TOKEN"):
            hadoop.set("fs.s3a.session.token", env["AWS_SESSION_TOKEN"])
            provider = "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
        else:
            provider = "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
        hadoop.set("fs.s3a.aws.credentials.provider", provider)


def build_session(app_name: str, master: str | None = None, extra_conf: dict | None = None):
    """The job's SparkSession: Glue's on AWS, else local[*] with the s3a jars and settings from the environment."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    conf = common_conf()
    if not on_glue():
        builder = builder.master(master or os.environ.get("CINELAKE_SPARK_MASTER", "local[*]"))
        conf.update(local_s3a_conf())
        conf.update(
            {
                "spark.jars": ",".join(s3a_jars()),
                "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false",
                "spark.sql.shuffle.partitions": os.environ.get("CINELAKE_SHUFFLE_PARTITIONS", "8"),
                "spark.driver.memory": os.environ.get("CINELAKE_DRIVER_MEMORY", "2g"),
            }
        )
    conf.update(extra_conf or {})
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session
