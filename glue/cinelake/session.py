"""The Spark session of a job: Glue's own on AWS; locally, a session that reaches S3 API servers through s3a."""

import hashlib
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

# Glue 5.1 runs Spark 3.5.6, which ships Hadoop 3.3.4: hadoop-aws must match that exactly. Spark's own package mechanism
# (Ivy) resolves it from its default repositories, with its aws-java-sdk-bundle as a transitive dependency.
S3A_PACKAGE = "org.apache.hadoop:hadoop-aws:3.3.4"
DEFAULT_IVY_DIR = Path(__file__).resolve().parents[2] / ".cache" / "ivy"
DEFAULT_CLASS_ARCHIVE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "class-archive"


def on_glue() -> bool:
    """True inside an AWS Glue job run (the awsglue package only exists there)."""
    try:
        import awsglue  # noqa: F401
    except ImportError:
        return False
    return True


def ivy_dir(env: dict | None = None) -> Path:
    """Where Spark's Ivy keeps the resolved s3a jars: CINELAKE_IVY_DIR, else .cache/ivy in the repository."""
    env = os.environ if env is None else env
    return Path(env.get("CINELAKE_IVY_DIR") or DEFAULT_IVY_DIR).resolve()


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
        # Adaptive execution (Glue 5.1's default too) sizes each shuffle's partitions from the data actually shuffled,
        # so small inputs do not pay for a fixed partition count's empty tasks...
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        # ...also inside cached plans (Refined caches its tables; Spark 3.5 keeps their partitioning fixed otherwise).
        "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "true",
        # Coalesce to the advisory size (64 MB), not to as many partitions as there are cores: each task costs a fixed
        # overhead, and each partition of a table's last stage is one Parquet file; Athena reads few larger files
        # faster than many small ones.
        "spark.sql.adaptive.coalescePartitions.parallelismFirst": "false",
        # HotSpot never JIT-compiles a method over 8,000 bytes of bytecode: it runs interpreted. The CSV job's typing
        # and checks generate whole-stage methods bigger than that; with this limit Spark falls back, for such a plan,
        # to code HotSpot compiles (Spark's docs advise it for HotSpot; the default, 65,535, is Java's own limit).
        # Measured on the CSV job, full scale, cold JVM: 26.1 s -> 22.4 s.
        "spark.sql.codegen.hugeMethodLimit": "8000",
        # The jobs cache only small intermediates (Refined: the chosen TMDB keys and the enriched titles, one row per
        # title), which are read a few times each: compressing them costs more CPU than it saves (full scale, the stage
        # that builds the enriched titles: 10.5 s compressed, 4.6 s not).
        "spark.sql.inMemoryColumnarStorage.compressed": "false",
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


LOCAL_DRIVER_MEMORY = "1280m"
"""The local driver's heap unless CINELAKE_DRIVER_MEMORY says otherwise (Glue sizes its own from the worker type)."""


LOCAL_COLLECTOR = "-XX:+UseParallelGC"
"""The local driver's garbage collector: the throughput one, since a local job is one batch with a bounded heap, where
G1's concurrent work and pause goals only take CPU from the two cores' tasks (the CSV job, full scale, cold JVM:
26.1 s -> 23.7 s)."""


def local_java_options(user_options: str) -> str:
    """The local driver's JVM flags: the user's (CINELAKE_DRIVER_JAVA_OPTIONS), after LOCAL_COLLECTOR unless they pick
    a collector themselves (the JVM refuses to start with two)."""
    user_options = user_options.strip()
    if re.search(r"-XX:\+Use\w*GC\b", user_options):
        return user_options
    return f"{LOCAL_COLLECTOR} {user_options}".strip()


def java_release(env: dict | None = None) -> str:
    """The `release` file of the JDK Spark will start (JAVA_HOME's, else the one `java` on PATH belongs to): its
    version and build, which a class archive is only valid for. Empty when no JDK is found (Spark then fails anyway)."""
    env = os.environ if env is None else env
    java = (
        Path(env["JAVA_HOME"]) / "bin" / "java" if env.get("JAVA_HOME") else shutil.which("java", path=env.get("PATH"))
    )
    if not java or not Path(java).exists():
        return ""
    release = Path(java).resolve().parents[1] / "release"
    return release.read_text(errors="replace") if release.exists() else str(Path(java).resolve())


def class_archive(env: dict | None = None) -> Path:
    """The local JVM's class archive (Java's AppCDS): the classes a local Spark job loads, already parsed and verified,
    which the JVM maps at start instead of reading them one by one from ~250 jars. One per JDK build and Spark release
    (the name says which); kept in CINELAKE_CLASS_ARCHIVE_DIR, else .cache/class-archive in the repository. The jobs
    driver records it on its first run (glue/local/jobs_driver.py); every later local session starts from it."""
    import pyspark

    env = os.environ if env is None else env
    folder = Path(env.get("CINELAKE_CLASS_ARCHIVE_DIR") or DEFAULT_CLASS_ARCHIVE_DIR).resolve()
    key = hashlib.sha256(f"{java_release(env)}|{pyspark.__version__}|{S3A_PACKAGE}".encode()).hexdigest()[:16]
    return folder / f"spark-{pyspark.__version__}-{key}.jsa"


def recording_path(archive: Path, pid: int | None = None) -> Path:
    """Where one process's JVM writes the archive it records, before it is renamed into place whole."""
    return archive.with_name(f"{archive.name}.{pid or os.getpid()}.recording")


CLASS_ARCHIVE_FLAGS = re.compile(
    r"-Xshare:|-XX:SharedArchiveFile=|-XX:ArchiveClassesAtExit=|-XX:StartFlightRecording|-javaagent:|-agent(lib|path):"
)
"""The JVM flags (in CINELAKE_DRIVER_JAVA_OPTIONS) after which the JVM gets no class-archive flag of ours: the user's
own class-sharing choice, and JFR or agents, which hook class loading: JDK 17.0.15's JVM crashes in
KlassFactory::check_shared_class_file_load_hook when such a hook meets a class from the archive (seen with JFR)."""


def class_archive_option(user_options: str, env: dict | None = None, record: bool = False) -> str:
    """The JVM flag for the class archive: map it when it exists; when it does not and `record` is set, record it at
    the JVM's exit; none when the user sets class sharing themselves or CINELAKE_CLASS_ARCHIVE=off."""
    env = os.environ if env is None else env
    if CLASS_ARCHIVE_FLAGS.search(user_options) or env.get("CINELAKE_CLASS_ARCHIVE") == "off":
        return ""
    archive = class_archive(env)
    if archive.exists():
        return shlex.quote(f"-XX:SharedArchiveFile={archive}")
    if record:
        archive.parent.mkdir(parents=True, exist_ok=True)
        # Only errors: the dump warns once per class it leaves out (e.g. Janino's generated ones), hundreds of lines.
        return shlex.quote(f"-XX:ArchiveClassesAtExit={recording_path(archive)}") + " -Xlog:cds=error"
    return ""


def local_partitions() -> int:
    """The local shuffle partition count: twice the cores (two on this project's 2-core machines make four)."""
    return 2 * (os.cpu_count() or 1)


def build_session(
    app_name: str, master: str | None = None, extra_conf: dict | None = None, record_class_archive: bool = False
):
    """The job's SparkSession: Glue's on AWS, else local[*] with the s3a jars and settings from the environment, its
    JVM started from the class archive (or recording it at exit, with `record_class_archive`, when there is none)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    conf = common_conf()
    if not on_glue():
        builder = builder.master(master or os.environ.get("CINELAKE_SPARK_MASTER", "local[*]"))
        conf.update(local_s3a_conf())
        conf.update(
            {
                # Resolved once into the Ivy cache (the set-up warms it), then read from there on every start.
                "spark.jars.packages": S3A_PACKAGE,
                "spark.jars.ivy": str(ivy_dir()),
                "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false",
                # An upper bound that adaptive execution coalesces: twice the cores, so both stay busy on big shuffles.
                "spark.sql.shuffle.partitions": os.environ.get("CINELAKE_SHUFFLE_PARTITIONS", str(local_partitions())),
                # Dimensions and small sides up to this size are broadcast instead of shuffled (one process: cheap).
                "spark.sql.autoBroadcastJoinThreshold": str(64 * 1024 * 1024),
                # Sized so that one job's whole process (heap, plus the JVM's own ~0.5 GB) stays within 2 GB at full
                # scale: the Refined job keeps nothing big in memory (it stages its tables as Parquet), and sorts and
                # aggregations spill to disk past their share.
                "spark.driver.memory": os.environ.get("CINELAKE_DRIVER_MEMORY", LOCAL_DRIVER_MEMORY),
            }
        )
        # The local driver's JVM flags: its collector, and e.g. the demo's quick-start compiler (runtime/local/demo.ts).
        user_options = os.environ.get("CINELAKE_DRIVER_JAVA_OPTIONS", "")
        archive_option = class_archive_option(user_options, record=record_class_archive)
        conf["spark.driver.extraJavaOptions"] = f"{local_java_options(user_options)} {archive_option}".strip()
        # glibc gives each JVM thread its own malloc arena (up to 8 per core), which grows the JVM's resident memory by
        # hundreds of MB beyond the heap; two arenas are plenty for one local driver. The JVM inherits it at launch.
        os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    conf.update(extra_conf or {})
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    import_hot_classes(session)
    return session


HOT_CLASSES = [
    "org.apache.spark.sql.functions",
    "org.apache.spark.api.python.PythonUtils",
    "org.apache.spark.sql.SparkSession",
    "org.apache.spark.sql.SparkSession$",
]
"""The JVM classes PySpark names on every column function and DataFrame call (`_jvm.functions`, ...)."""


def import_hot_classes(spark) -> None:
    """Imports the hot classes into the py4j view by their full names (py4j's own `java_import`).

    PySpark finds them through its wildcard imports, trying each package in turn: every miss is a class lookup
    through every jar on the classpath (hundreds), and the Refined job names `functions` over a thousand times per
    run. A single import is tried first, so each name then costs one lookup; it resolves to the same class."""
    from py4j.java_gateway import java_import

    for name in HOT_CLASSES:
        java_import(spark.sparkContext._jvm, name)


if __name__ == "__main__":
    # `python -m cinelake.session`: resolves the s3a jars into the Ivy cache, so the first job does not wait for them.
    build_session("cinelake-resolve-jars", master="local[1]").stop()
    print(f"s3a jars ({S3A_PACKAGE} and its dependencies) resolved into {ivy_dir() / 'jars'}", file=sys.stderr)
