"""The local session: Glue 5.1's Spark, and the s3a jars resolved by Spark's own package mechanism (Ivy)."""

import os
import subprocess
import sys
from pathlib import Path

import pyspark
from cinelake.session import DEFAULT_IVY_DIR, HOT_CLASSES, LOCAL_COLLECTOR, S3A_PACKAGE, ivy_dir, local_java_options


def test_pyspark_is_glue_5_1s_spark():
    # Glue 5.1 runs Spark 3.5.6: the local jobs and tests must run the same release (glue/requirements.txt).
    assert pyspark.__version__ == "3.5.6"


def test_hadoop_aws_matches_the_hadoop_spark_ships():
    # s3a only works when hadoop-aws is exactly the Hadoop version of Spark's own hadoop-client jars.
    jars = Path(pyspark.__file__).parent / "jars"
    versions = {
        p.name.removeprefix("hadoop-client-api-").removesuffix(".jar") for p in jars.glob("hadoop-client-api-*")
    }
    assert versions == {S3A_PACKAGE.rsplit(":", 1)[1]}


def test_ivy_dir_defaults_to_the_repository_cache_and_follows_the_environment(tmp_path):
    assert ivy_dir({}) == DEFAULT_IVY_DIR.resolve()
    assert DEFAULT_IVY_DIR.parts[-2:] == (".cache", "ivy")
    assert ivy_dir({"CINELAKE_IVY_DIR": str(tmp_path)}) == tmp_path.resolve()


def test_the_session_loads_hadoop_aws_and_its_sdk_bundle_from_the_ivy_cache(spark):
    assert spark.conf.get("spark.jars.packages") == S3A_PACKAGE
    assert spark.conf.get("spark.jars.ivy") == str(ivy_dir())
    jars = spark.sparkContext._jsc.sc().listJars().mkString(",")
    assert "org.apache.hadoop_hadoop-aws-3.3.4.jar" in jars
    assert "com.amazonaws_aws-java-sdk-bundle-" in jars
    # The class s3a needs is really loadable, not just listed.
    assert spark.sparkContext._jvm.java.lang.Class.forName(
        "org.apache.hadoop.fs.s3a.S3AFileSystem",
        True,
        spark.sparkContext._jvm.Thread.currentThread().getContextClassLoader(),
    )


def test_driver_java_options_reach_the_local_jvm():
    # A new process: this one's JVM started long ago. The JVM reports the flags it was really started with.
    probe = (
        "from cinelake.session import build_session\n"
        "spark = build_session('cinelake-java-options', master='local[1]')\n"
        "print(spark._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().toString())\n"
        "spark.stop()\n"
    )
    glue = str(Path(__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [glue, os.environ.get("PYTHONPATH")])),
        "CINELAKE_DRIVER_JAVA_OPTIONS": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    }
    ran = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr[-2000:]
    flags = ran.stdout.strip().splitlines()[-1]
    assert "-XX:TieredStopAtLevel=1" in flags and "-XX:+UseSerialGC" in flags
    # The user's collector replaces the local default one (the JVM would refuse to start with both).
    assert LOCAL_COLLECTOR not in flags


def test_the_local_collector_is_added_unless_the_user_picks_one():
    assert local_java_options("") == LOCAL_COLLECTOR
    assert local_java_options(" -XX:TieredStopAtLevel=1 ") == f"{LOCAL_COLLECTOR} -XX:TieredStopAtLevel=1"
    assert local_java_options("-XX:+UseG1GC -Xss4m") == "-XX:+UseG1GC -Xss4m"
    assert local_java_options("-XX:+UseZGC") == "-XX:+UseZGC"


def test_the_hot_classes_resolve_to_the_classes_pyspark_finds_without_them(spark):
    # A wrong name in the list would make py4j answer "package" for that simple name and break PySpark's calls.
    jvm = spark.sparkContext._jvm
    for name in HOT_CLASSES:
        simple = name.rsplit(".", 1)[1]
        assert jvm.java.lang.Class.forName(name).getName() == name
        assert getattr(jvm, simple)._fqn == name
