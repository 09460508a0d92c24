"""Local only: runs the Glue entry scripts one after another in one Python process and one Spark JVM.

On Glue every job is a process of its own; locally, starting the JVM, resolving the s3a jars and importing PySpark
cost 10-20 s per job, more than the jobs themselves at the demo's scale. This driver pays that once: it builds one
session (cinelake.session.build_session) and runs each requested entry script's `main(argv, spark)` with exactly the
argv the job gets on Glue. It is not shipped to Glue (only glue/cinelake/ and the entry scripts are).

Protocol (runtime/local/jobDriver.ts speaks the other side): one JSON request per line on stdin,
`{"job": name, "script": path, "argv": [script, "--name", value, ...], "env": {name: value}}`, where env holds the
job's AWS_* variables (they replace the driver's own for that job), or a warm-up `{"job": name, "warm": true, "argv":
[], "env": {...}}`, which only starts Spark for that job (so the JVM starts while the runner does other work); one
JSON result per line on file descriptor 3,
`{"job", "ok", "pid", "seconds", "report"}` or `{"job", "ok": false, "error"}`, where `error` is the one line the entry
ends a failed run with (`cinelake <job>: ...`). stdout and stderr stay what they are for a single job (the report,
Spark's and Python's log), so the runner can keep them in its log files.

Between jobs nothing a job left behind reaches the next one: each job gets a new SparkSession (its own SQL conf, temp
views and UDFs) on the shared SparkContext, cached tables and persisted RDDs are dropped, the Hadoop configuration is
put back as it was after start-up, Hadoop's FileSystem cache is closed (s3a clients keep the settings they were made
with), the cinelake modules are imported afresh, and the environment and sys.argv are restored.
"""

import json
import os
import runpy
import sys
import time
import traceback
from pathlib import Path

# Run as a script, this file's folder is sys.path[0]; the entry scripts see the import path they have on Glue instead.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

RESULTS_FD = 3

# What ConfigRedactor prints instead of a secret's value when Hadoop dumps its configuration.
REDACTED = "<redacted>"


def hadoop_settings(spark, conf=None) -> dict[str, str]:
    """Every Hadoop setting of a configuration (the session's by default) as a dict, read in one call."""
    jvm = spark._jvm
    writer = jvm.java.io.StringWriter()
    jvm.org.apache.hadoop.conf.Configuration.dumpConfiguration(
        conf if conf is not None else spark.sparkContext._jsc.hadoopConfiguration(), writer
    )
    return {item["key"]: item["value"] for item in json.loads(writer.toString())["properties"]}


class SharedSpark:
    """The one SparkContext the jobs share, and how to hand each job a clean session on it."""

    def __init__(self):
        from cinelake.session import build_session

        # The first local run on a machine records the JVM's class archive as it exits; later starts map it.
        self.root = build_session("cinelake-local-jobs", record_class_archive=True)
        hadoop = self.root.sparkContext._jsc.hadoopConfiguration()
        # A copy in the JVM keeps the raw values (secrets included, which a dump redacts) to put back later.
        self.hadoop_copy = self.root._jvm.org.apache.hadoop.conf.Configuration(hadoop)
        self.hadoop_baseline = hadoop_settings(self.root, self.hadoop_copy)

    def alive(self) -> bool:
        """False when the SparkContext was stopped (a job may stop it) or the JVM is gone."""
        try:
            return not self.root.sparkContext._jsc.sc().isStopped()
        except Exception:
            return False

    def restore_hadoop(self) -> int:
        """Puts the shared Hadoop configuration back as it was after start-up; returns how many settings changed."""
        hadoop = self.root.sparkContext._jsc.hadoopConfiguration()
        current = hadoop_settings(self.root)
        changed = 0
        for key in current.keys() - self.hadoop_baseline.keys():
            hadoop.unset(key)
            changed += 1
        for key, value in self.hadoop_baseline.items():
            if current.get(key) != value or value == REDACTED:
                raw = self.hadoop_copy.getRaw(key)
                if raw is not None and hadoop.getRaw(key) != raw:
                    hadoop.set(key, raw)
                    changed += 1
        return changed

    def session_for_job(self):
        """A new session for the next job, after everything earlier jobs left in the shared context is gone."""
        from pyspark.sql import SparkSession

        jvm = self.root._jvm
        self.root.catalog.clearCache()
        for rdd in self.root.sparkContext._jsc.getPersistentRDDs().values():
            rdd.unpersist(True)
        for view in self.root.catalog.listTables("global_temp"):
            self.root.catalog.dropGlobalTempView(view.name)
        self.restore_hadoop()
        # s3a filesystems are cached per bucket with the settings they were created with: the next job makes its own.
        jvm.org.apache.hadoop.fs.FileSystem.closeAll()
        session = self.root.newSession()
        # What the job's code would find as the current session (builder.getOrCreate(), getActiveSession()).
        jvm.org.apache.spark.sql.SparkSession.setActiveSession(session._jsparkSession)
        jvm.org.apache.spark.sql.SparkSession.setDefaultSession(session._jsparkSession)
        SparkSession._instantiatedSession = session
        SparkSession._activeSession = session
        return session

    def recording(self) -> Path | None:
        """The file this session's JVM writes its class archive to when it exits, if it was started to record one (read
        from the flags the JVM itself reports)."""
        try:
            flags = self.root._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
            for flag in flags:
                if str(flag).startswith(ARCHIVE_AT_EXIT):
                    return Path(str(flag).removeprefix(ARCHIVE_AT_EXIT))
        except Exception:
            pass
        return None

    def stop(self) -> None:
        """Stops Spark; a JVM recording the class archive is then ended and waited for, and its archive put in place
        (any other JVM ends with this process)."""
        recording = self.recording()
        try:
            self.root.stop()
        except Exception:
            pass
        if recording is not None:
            finish_class_archive(self.root.sparkContext._gateway.proc, recording)


ARCHIVE_AT_EXIT = "-XX:ArchiveClassesAtExit="

# How long a JVM may take to write its class archive (about 175 MB: 17-19 s on a slow 2-core machine).
ARCHIVE_WRITE_TIMEOUT_S = 120


def finish_class_archive(jvm, recording: Path) -> None:
    """Ends the recording JVM (PySpark's gateway exits when its input closes), waits while it writes the archive, and
    renames the archive into place whole, so no JVM ever maps a half-written one. Recordings that processes which no
    longer run left behind, and archives of other Java or Spark releases, are removed."""
    from cinelake.session import class_archive

    archive = class_archive()
    started = time.perf_counter()
    print(f"cinelake local driver (pid {os.getpid()}): writing the JVM's class archive {archive}", file=sys.stderr)
    try:
        jvm.stdin.close()
        jvm.wait(timeout=ARCHIVE_WRITE_TIMEOUT_S)
    except Exception as error:
        jvm.kill()
        recording.unlink(missing_ok=True)
        print(f"cinelake local driver: no class archive ({error}); the next run records it", file=sys.stderr)
        return
    if jvm.returncode == 0 and recording.exists() and recording.stat().st_size > 0:
        os.replace(recording, archive)
        seconds = time.perf_counter() - started
        size_mb = archive.stat().st_size / 1e6
        print(f"cinelake local driver: class archive written ({size_mb:.0f} MB in {seconds:.1f} s)", file=sys.stderr)
    else:
        recording.unlink(missing_ok=True)
        print(f"cinelake local driver: the JVM exited {jvm.returncode} without a class archive", file=sys.stderr)
    for other in archive.parent.glob("spark-*"):
        if other != archive and not (other.suffix == ".recording" and process_runs(other.name.split(".")[-2])):
            other.unlink(missing_ok=True)


def process_runs(pid: str) -> bool:
    """True while a process with this id runs (a recording in progress elsewhere is left alone)."""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def fresh_cinelake_modules() -> None:
    """Forgets the imported cinelake modules, so each job imports them anew, as its own process would on Glue."""
    for name in [name for name in sys.modules if name == "cinelake" or name.startswith("cinelake.")]:
        del sys.modules[name]


def as_json(report) -> object:
    """A job's returned report as plain JSON (the Trusted jobs return a RunReport, Refined a dict)."""
    if hasattr(report, "to_json"):
        return json.loads(report.to_json())
    return json.loads(json.dumps(report, default=str))


def failure(job: str, error: BaseException) -> str:
    """The one line an error outside the job's own run_job ends with, in the entry's words."""
    from cinelake.entry import failure_line

    return failure_line(job, error)


def run_request(shared: SharedSpark | None, request: dict) -> tuple[SharedSpark | None, dict]:
    """Runs one job request; returns the (possibly new) shared Spark and the result to send."""
    job = request["job"]
    argv = [str(arg) for arg in request["argv"]]
    result: dict = {"job": job, "pid": os.getpid()}
    saved_env = dict(os.environ)
    saved_argv = sys.argv
    started = time.perf_counter()
    doing = "warm-up: Spark starts" if request.get("warm") else f"starts: {' '.join(argv)}"
    print(f"cinelake local driver (pid {os.getpid()}): job {job} {doing}", file=sys.stderr)
    try:
        # The request's AWS variables replace the driver's own (see the protocol above).
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            del os.environ[name]
        os.environ.update({key: str(value) for key, value in (request.get("env") or {}).items()})
        sys.argv = argv
        fresh_cinelake_modules()
        try:
            if shared is None or not shared.alive():
                shared = SharedSpark()
            spark = shared.session_for_job()
            if request.get("warm"):
                # A warm-up: the session is up, so the next job does not wait for the JVM; nothing runs.
                result.update(ok=True, report=None)
                return shared, result
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            shared = None
            result.update(ok=False, error=failure(job, error))
            return shared, result
        try:
            # A fresh namespace per run, as `python3 <script>` gives it; __name__ is not __main__, so nothing runs
            # until main() is called with the job's own argv and the shared session.
            entry = runpy.run_path(request["script"], run_name=f"cinelake_entry_{job.replace('-', '_')}")
            report = entry["main"](argv, spark)
            result.update(ok=True, report=as_json(report))
        except SystemExit as stop:
            # The entry ends a failed run with SystemExit carrying its one line (it printed the traceback already).
            code = stop.code
            line = code if isinstance(code, str) else f"cinelake {job}: ended with exit code {code} and no report"
            result.update(ok=False, error=line)
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            result.update(ok=False, error=failure(job, error))
    finally:
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
        sys.stdout.flush()
        sys.stderr.flush()
        result["seconds"] = round(time.perf_counter() - started, 3)
    return shared, result


def main() -> int:
    """Serves job requests from stdin until it closes; exits 3 when the JVM is gone (the runner starts a new driver)."""
    results = os.fdopen(RESULTS_FD, "w", buffering=1)
    shared: SharedSpark | None = None
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            shared, result = run_request(shared, json.loads(line))
            results.write(json.dumps(result) + "\n")
            if shared is not None and not shared.alive():
                # A job stopped the context: the next one gets a new one. A dead JVM cannot be relaunched from this
                # process (PySpark keeps its gateway), so then the driver ends and the runner starts another.
                if not gateway_answers(shared):
                    return 3
                shared = None
    finally:
        if shared is not None:
            shared.stop()
    return 0


def gateway_answers(shared: SharedSpark) -> bool:
    """True while the py4j gateway to the JVM still answers."""
    try:
        shared.root._jvm.java.lang.System.currentTimeMillis()
        return True
    except Exception:
        return False


if __name__ == "__main__":
    sys.exit(main())
