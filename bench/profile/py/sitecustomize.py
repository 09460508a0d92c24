"""Profiling hooks for one Glue entry script run by bench/profile/run.ts, loaded by Python itself (sitecustomize).

bench/profile puts this folder first on PYTHONPATH and names the entry script in CINELAKE_PROFILE_SCRIPT; only that
process (the job's Python driver) is instrumented, not Spark's Python workers, which inherit the same PYTHONPATH. The
jobs themselves are not edited: the hooks wrap library entry points from outside and change no result.

What it records, as JSON lines appended to CINELAKE_PROFILE_EVENTS (epoch seconds, the clock Spark's event log uses):
- `python_start`: when this interpreter reached site initialisation (the job's imports follow);
- `session`: start and end of SparkSession.Builder.getOrCreate (JVM launch, Ivy, SparkContext creation);
- `step`: start and end of every `RunReport.step(name)` of glue/cinelake/report.py (a name may repeat);
- `clock`: every `time.perf_counter()` the job's code reads itself (for jobs that time steps without RunReport.step);
- `python_end`: interpreter exit.
And it sets Spark's call site (the `callSite.short`/`callSite.long` local properties, which Spark copies into every
job's properties and SQL execution description) to the first frame of the job's own code at each DataFrame action,
reader and writer, so the event log names the line of glue/ that triggered each Spark job instead of py4j's
`NativeMethodAccessorImpl.java:0`.
"""

import atexit
import functools
import json
import os
import sys
import threading
import time
from contextlib import contextmanager

EVENTS = os.environ.get("CINELAKE_PROFILE_EVENTS")
SCRIPT = os.environ.get("CINELAKE_PROFILE_SCRIPT")
_LOCAL = threading.local()
_HERE = os.path.abspath(__file__)


def _emit(event: dict) -> None:
    """Appends one event line; a line per write, so a killed run still leaves what it did."""
    with open(EVENTS, "a", encoding="utf-8") as out:
        out.write(json.dumps(event) + "\n")


def _user_frames() -> list[str]:
    """`file:function:line` of the caller's frames outside pyspark, py4j and this file, innermost first."""
    frames = []
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if "/pyspark/" not in path and "/py4j/" not in path and os.path.abspath(path) != _HERE:
            frames.append(f"{os.path.relpath(path)}:{frame.f_code.co_name}:{frame.f_lineno}")
        frame = frame.f_back
    return frames


def _with_call_site(kind: str, method):
    """Wraps a pyspark method so the Spark jobs it starts carry the job code's call site (outermost wrapper wins)."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        if getattr(_LOCAL, "depth", 0) > 0:
            return method(*args, **kwargs)
        from pyspark import SparkContext

        sc = SparkContext._active_spark_context
        frames = _user_frames()
        if sc is None or not frames:
            return method(*args, **kwargs)
        _LOCAL.depth = 1
        short = f"{kind} at {frames[0]}"
        # PySpark's own call-site guard (collect, RDD actions) would replace ours with this wrapper's frame: make it
        # see itself as nested, so it leaves the call site alone.
        from pyspark.traceback_utils import SCCallSiteSync

        SCCallSiteSync._spark_stack_depth += 1
        try:
            sc.setLocalProperty("callSite.short", short)
            sc.setLocalProperty("callSite.long", "\n".join(frames))
            return method(*args, **kwargs)
        finally:
            SCCallSiteSync._spark_stack_depth -= 1
            sc.setLocalProperty("callSite.short", None)
            sc.setLocalProperty("callSite.long", None)
            _LOCAL.depth = 0

    return wrapper


def _patch_pyspark() -> None:
    """Names the call site of every DataFrame action, read and write (the calls that start Spark jobs)."""
    from pyspark.sql import DataFrame, DataFrameReader, DataFrameWriter, SparkSession

    actions = {
        DataFrame: [
            "count",
            "collect",
            "first",
            "head",
            "take",
            "tail",
            "show",
            "toPandas",
            "toLocalIterator",
            "isEmpty",
            "foreach",
            "foreachPartition",
            "checkpoint",
            "localCheckpoint",
        ],
        DataFrameReader: ["load", "json", "csv", "parquet", "text", "orc", "table"],
        DataFrameWriter: ["save", "parquet", "json", "csv", "text", "orc", "saveAsTable", "insertInto"],
    }
    for cls, names in actions.items():
        for name in names:
            if hasattr(cls, name):
                setattr(cls, name, _with_call_site(name, getattr(cls, name)))

    original = SparkSession.Builder.getOrCreate

    @functools.wraps(original)
    def get_or_create(self):
        start = time.time()
        try:
            return original(self)
        finally:
            _emit({"event": "session", "start": start, "end": time.time()})

    SparkSession.Builder.getOrCreate = get_or_create


def _patch_report() -> None:
    """Records each step's absolute start and end, which the report only keeps as summed durations."""
    try:
        from cinelake.report import RunReport
    except ImportError:
        return
    original = RunReport.step

    @contextmanager
    def step(self, name: str):
        start = time.time()
        try:
            with original(self, name):
                yield
        finally:
            _emit({"event": "step", "name": name, "start": start, "end": time.time()})

    step.__doc__ = original.__doc__
    RunReport.step = step


def _patch_clock() -> None:
    """Records the job code's own `time.perf_counter()` readings with the wall clock, for jobs that time their steps
    themselves (the Refined job keeps `durations[...] = perf_counter() - clock`): bench/profile matches the report's
    durations to pairs of these readings to place the steps in time."""
    original = time.perf_counter

    def perf_counter() -> float:
        value = original()
        caller = sys._getframe(1)
        path = caller.f_code.co_filename
        if "/glue/" in path and "/report.py" not in path:
            where = f"{os.path.relpath(path)}:{caller.f_code.co_name}:{caller.f_lineno}"
            _emit({"event": "clock", "time": time.time(), "perf": value, "where": where})
        return value

    time.perf_counter = perf_counter


def _instrumented() -> bool:
    """Only the job's driver: its command line names the entry script bench/profile started."""
    argv = getattr(sys, "orig_argv", sys.argv)
    return bool(EVENTS and SCRIPT) and any(os.path.abspath(arg) == os.path.abspath(SCRIPT) for arg in argv[1:])


if _instrumented():
    _emit({"event": "python_start", "time": time.time(), "pid": os.getpid()})
    atexit.register(lambda: _emit({"event": "python_end", "time": time.time()}))
    _patch_pyspark()
    _patch_report()
    _patch_clock()
