"""The local JVM's class archive (Java's AppCDS): the jobs driver records it once, later local sessions map it."""

import json
import os
import subprocess
import sys
from pathlib import Path

from cinelake.session import class_archive, class_archive_option, recording_path

GLUE_DIR = Path(__file__).resolve().parents[2]
DRIVER = GLUE_DIR / "local" / "jobs_driver.py"


def test_the_archive_is_mapped_when_it_exists_and_recorded_only_when_asked(tmp_path):
    env = {**os.environ, "CINELAKE_CLASS_ARCHIVE_DIR": str(tmp_path)}
    archive = class_archive(env)
    assert archive.parent == tmp_path.resolve() and archive.name.startswith("spark-3.5.6-")
    assert class_archive_option("", env) == ""
    recording = class_archive_option("", env, record=True)
    assert recording.startswith(f"-XX:ArchiveClassesAtExit={recording_path(archive)}")
    archive.write_bytes(b"archive")
    assert class_archive_option("", env, record=True) == f"-XX:SharedArchiveFile={archive}"
    # The user's own class-sharing flags, or CINELAKE_CLASS_ARCHIVE=off, leave the JVM as they ask.
    assert class_archive_option("-Xshare:off", env) == ""
    assert class_archive_option("-XX:SharedArchiveFile=/elsewhere.jsa", env) == ""
    assert class_archive_option("", {**env, "CINELAKE_CLASS_ARCHIVE": "off"}) == ""
    # Nor with JFR or an agent, whose class-loading hook crashes JDK 17's JVM on an archived class.
    for flag in ["-XX:StartFlightRecording=filename=r.jfr", "-javaagent:a.jar", "-agentlib:jdwp=x", "-agentpath:/a.so"]:
        assert class_archive_option(f"-Xss4m {flag}", env) == "", flag


def test_each_jdk_build_has_its_own_archive(tmp_path):
    other_jdk = tmp_path / "jdk"
    (other_jdk / "bin").mkdir(parents=True)
    (other_jdk / "bin" / "java").write_text("")
    (other_jdk / "release").write_text('JAVA_VERSION="17.0.99"\n')
    env = {**os.environ, "CINELAKE_CLASS_ARCHIVE_DIR": str(tmp_path)}
    assert class_archive({**env, "JAVA_HOME": str(other_jdk)}) != class_archive(env)


def start_driver(env: dict, log: Path) -> subprocess.CompletedProcess:
    """Runs the jobs driver for one warm-up request (Spark starts, nothing runs), until its input closes."""
    warm = json.dumps({"job": "trusted-csv", "warm": True, "argv": [], "env": {}}) + "\n"
    # The driver answers on file descriptor 3 (its protocol); this test reads the archive, not the answers.
    command = f'exec "{sys.executable}" "{DRIVER}" 3>/dev/null'
    with log.open("w") as out:
        return subprocess.run(
            ["bash", "-c", command], input=warm, text=True, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=400
        )


def test_the_driver_records_the_archive_once_and_a_later_jvm_loads_its_classes_from_it(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(GLUE_DIR), os.environ.get("PYTHONPATH")])),
        "CINELAKE_CLASS_ARCHIVE_DIR": str(tmp_path / "archive"),
        "CINELAKE_SPARK_MASTER": "local[1]",
    }
    env.pop("CINELAKE_CLASS_ARCHIVE", None)
    archive = class_archive(env)
    first = start_driver(env, tmp_path / "first.log")
    assert first.returncode == 0, (tmp_path / "first.log").read_text()[-3000:]
    assert archive.exists() and archive.stat().st_size > 10_000_000
    # Renamed into place whole: no recording is left beside it.
    assert sorted(p.name for p in archive.parent.iterdir()) == [archive.name]
    assert "class archive written" in (tmp_path / "first.log").read_text()

    # The JVM's own class-loading log says where each class came from: the archive is "shared objects file (top)".
    classes = tmp_path / "classes.log"
    second_env = {**env, "CINELAKE_DRIVER_JAVA_OPTIONS": f"-Xlog:class+load=info:file={classes}"}
    second = start_driver(second_env, tmp_path / "second.log")
    assert second.returncode == 0, (tmp_path / "second.log").read_text()[-3000:]
    lines = classes.read_text().splitlines()
    from_archive = [line for line in lines if "source: shared objects file (top)" in line]
    spark_from_archive = [line for line in from_archive if " org.apache.spark.SparkContext " in line]
    assert len(from_archive) > 5_000 and spark_from_archive, f"{len(from_archive)} of {len(lines)} classes shared"
    # A mapped archive is not recorded again.
    assert "writing the JVM's class archive" not in (tmp_path / "second.log").read_text()
