"""Lake I/O through Hadoop's FileSystem API, so one code path serves s3:// (Glue), s3a:// and file:// alike.

This is the I/O edge: a missing bucket, a refused access or a missing path surfaces here as its named error
(cinelake.errors), not as a Py4JJavaError with the reason deep in a Java stack trace.
"""

import re
from datetime import UTC, datetime, timedelta
from datetime import date as Date

from .errors import InvalidArgumentError, storage_errors

DAY_DIR = re.compile(r"^\d{4}$|^\d{2}$")


def _fs(spark, uri: str):
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def join(root: str, *parts: str) -> str:
    """Joins a lake root (ending in /) with relative prefixes and names."""
    return root + "".join(parts)


def list_names(spark, uri: str) -> list[str]:
    """Names of the entries directly under a prefix (empty when it does not exist)."""
    with storage_errors(uri, "list"):
        fs, path = _fs(spark, uri)
        if not fs.exists(path):
            return []
        return sorted(status.getPath().getName() for status in fs.listStatus(path))


def list_files(spark, uri: str, suffix: str = "") -> list[str]:
    """Full URIs of the files directly under a prefix whose names end in `suffix` (hidden files skipped)."""
    with storage_errors(uri, "list"):
        fs, path = _fs(spark, uri)
        if not fs.exists(path):
            return []
        files = []
        for status in fs.listStatus(path):
            name = status.getPath().getName()
            if status.isFile() and name.endswith(suffix) and not name.startswith(("_", ".")):
                # Hadoop's own form of the path (e.g. `file:/tmp/x`), the same Spark reports as `_metadata.file_path`.
                files.append(status.getPath().toString())
        return sorted(files)


def holds_folders(spark, uri: str) -> bool:
    """True when some entry directly under the prefix is a folder (hidden ones included)."""
    with storage_errors(uri, "list"):
        fs, path = _fs(spark, uri)
        return fs.exists(path) and any(status.isDirectory() for status in fs.listStatus(path))


def day_prefix(dataset_prefix: str, day: str) -> str:
    """`<dataset_prefix>YYYY/MM/DD/` for a `YYYY-MM-DD` day, the Raw zone's layout (lake/paths.ts)."""
    parsed = Date.fromisoformat(day)
    return f"{dataset_prefix}{parsed.year:04d}/{parsed.month:02d}/{parsed.day:02d}/"


def days(spark, dataset_uri: str) -> list[str]:
    """The days (`YYYY-MM-DD`, ascending) that have a `YYYY/MM/DD/` folder under a Raw dataset prefix."""
    found = []
    for year in filter(DAY_DIR.match, list_names(spark, dataset_uri)):
        for month in filter(DAY_DIR.match, list_names(spark, f"{dataset_uri}{year}/")):
            for day in filter(DAY_DIR.match, list_names(spark, f"{dataset_uri}{year}/{month}/")):
                try:
                    found.append(Date(int(year), int(month), int(day)).isoformat())
                except ValueError:
                    continue  # Not a calendar day: not written by the ingestors, so not ours to read.
    return sorted(found)


def latest_allowed_day(today: Date | None = None) -> str:
    """Tomorrow in UTC: the last day a run may take (a day ahead of UTC is today somewhere), as the ingestors rule."""
    return ((today or datetime.now(UTC).date()) + timedelta(days=1)).isoformat()


def check_day(text: str, today: Date | None = None) -> str:
    """A --date as `YYYY-MM-DD`: a real calendar day, not after tomorrow (UTC)."""
    try:
        day = Date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidArgumentError(
            f"--date {text!r} is not a calendar day", "pass --date YYYY-MM-DD (a real day) or --date latest"
        ) from None
    if day > latest_allowed_day(today):
        raise InvalidArgumentError(
            f"--date {day} is after tomorrow ({latest_allowed_day(today)}, UTC)",
            "pass today's date or an earlier day, or --date latest",
        )
    return day


def resolve_day(spark, dataset_uri: str, requested: str, today: Date | None = None) -> str | None:
    """The day to process: `requested` as given (checked), or for `latest` the newest day present (None if none).
    A folder dated after tomorrow is no day of ours (the ingestors refuse such dates), so `latest` passes it over."""
    if requested != "latest":
        return check_day(requested, today)
    available = [day for day in days(spark, dataset_uri) if day <= latest_allowed_day(today)]
    return available[-1] if available else None


def day_files(spark, root: str, dataset_prefix: str, requested: str, suffix: str) -> tuple[str | None, list[str]]:
    """The Raw day a run processes (see resolve_day) and its files ending in `suffix`: `(None, [])` when there is no
    day, `(day, [])` when the day's folder holds no such file."""
    day = resolve_day(spark, join(root, dataset_prefix), requested)
    return day, list_files(spark, join(root, day_prefix(dataset_prefix, day)), suffix) if day else []


def read_head(spark, uri: str, size: int = 4096) -> bytes:
    """The first bytes of a file (to check a CSV header without reading the file)."""
    with storage_errors(uri, "read"):
        fs, path = _fs(spark, uri)
        stream = fs.open(path)
        try:
            buffer = bytearray()
            while len(buffer) < size:
                byte = stream.read()
                if byte < 0 or byte == 10:
                    break
                buffer.append(byte)
            return bytes(buffer)
        finally:
            stream.close()


def write_text(spark, uri: str, text: str) -> None:
    """Writes (overwrites) one small UTF-8 object, e.g. a run report."""
    with storage_errors(uri, "write"):
        fs, path = _fs(spark, uri)
        stream = fs.create(path, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()


def delete(spark, uri: str) -> bool:
    """Deletes a prefix recursively; True when something was there."""
    with storage_errors(uri, "delete"):
        fs, path = _fs(spark, uri)
        return bool(fs.delete(path, True))


def move(spark, source: str, target: str) -> None:
    """Moves a prefix to a target that must not exist yet (a rename on file systems; copy, then delete, on S3 APIs);
    the target's parent is created first, since local file systems refuse to rename into a missing folder."""
    with storage_errors(target, "write"):
        fs, source_path = _fs(spark, source)
        _, target_path = _fs(spark, target)
        fs.mkdirs(target_path.getParent())
        if not fs.rename(source_path, target_path):
            raise OSError(f"could not move {source} to {target}")
