"""The named errors of the Spark jobs: each says, on one line, what happened and what to do.

An expected failure (nothing to read, an earlier job not run yet, a bucket or path that is not there, access denied,
a CSV with the wrong header, counts that do not balance, a model that breaks its integrity checks) raises a subclass
of `JobError`. Spark's own errors for the storage cases (a Py4JJavaError wrapping a Java exception, or an
AnalysisException) are translated into these at the I/O edge (`storage_errors`), so the reason is not buried in a
Java stack trace. `cinelake.entry.run_job` turns any failure into the job's one final line.
"""

import re
from contextlib import contextmanager


class JobError(Exception):
    """An expected failure of a job: `what` happened, `fix` says what to do. Its message is always one line."""

    def __init__(self, what: str, fix: str = ""):
        # Cut separately, so a long `what` (a header, a list of examples) never cuts off the fix.
        self.what = one_line(what, 800)
        self.fix = one_line(fix, 400)
        super().__init__(f"{self.what}; {self.fix}" if self.fix else self.what)


class InvalidArgumentError(JobError):
    """A job argument cannot be used as given (e.g. a --date that is not a calendar day)."""


class NoInputError(JobError):
    """The job's own input (the Raw zone for the requested day) holds nothing to process."""


class UpstreamMissingError(JobError):
    """A table an earlier job writes is missing: that job has not run (successfully) yet."""


class HeaderMismatchError(JobError):
    """A Raw CSV does not start with the expected header: its columns cannot be trusted."""


class ReportImbalanceError(JobError):
    """A run's counts do not reconcile: some rows would have been lost or invented."""


class IntegrityError(JobError):
    """The Refined model broke one of its guarantees (orphan key, duplicate key, lost title); nothing is published."""


class StorageError(JobError):
    """The lake could not be read or written."""


class BucketNotFoundError(StorageError):
    """The bucket of --lake_root does not exist (or is not reachable under that name)."""


class AccessDeniedError(StorageError):
    """The storage refused the job's credentials (HTTP 403, or a local permission error)."""


class PathNotFoundError(StorageError):
    """A path the job reads does not exist."""


def one_line(text: str, limit: int = 1200) -> str:
    """Text as a single line (runs of whitespace, newlines included, become one space), cut to `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_URI = re.compile(r"\b(?:s3a?|file):/{0,3}[^\s'\",;]+")
_BUCKET_MISSING = re.compile(
    r"UnknownStoreException|NoSuchBucket|The specified bucket does not exist|Bucket \S+ does not exist", re.I
)
_ACCESS_DENIED = re.compile(
    r"AccessDeniedException|AccessDenied|Status Code: 403|\b403 Forbidden|InvalidAccessKeyId|SignatureDoesNotMatch"
    r"|Permission denied",
    re.I,
)
_PATH_MISSING = re.compile(r"PATH_NOT_FOUND|Path does not exist|java\.io\.FileNotFoundException|does not exist", re.I)


def _bucket(uri: str) -> str | None:
    match = re.match(r"s3a?://([^/]+)", uri or "")
    return match.group(1) if match else None


def _java_text(error: BaseException) -> str:
    """The Java side of a Spark error (exception class, message and causes), or the Python message."""
    java = getattr(error, "java_exception", None)
    if java is not None:
        # str(Py4JJavaError) holds the whole Java stack with its "Caused by:" chain, where S3's answer is.
        return f"{java}\n{error}"
    return str(error)


def translate(error: BaseException, uri: str | None = None, action: str = "read") -> JobError | None:
    """The named error for a storage failure Spark reported (missing bucket, access denied, missing path), else None.

    `uri` is what the job was reading or writing; when unknown it is taken from the error's text.
    """
    if isinstance(error, JobError):
        return error
    if not _is_spark_error(error):
        return None
    text = _java_text(error)
    uri = uri or next(iter(_URI.findall(text)), None) or "the lake"
    bucket = _bucket(uri)
    if _BUCKET_MISSING.search(text) and bucket:
        return BucketNotFoundError(
            f"bucket {bucket} does not exist ({action} {uri})",
            "check --lake_root (locally: the bucket on the S3 API server named by AWS_ENDPOINT_URL_S3; "
            "on AWS: the stack's bucket, `pulumi stack output bucket`)",
        )
    if _ACCESS_DENIED.search(text):
        where = "the job's credentials" if bucket else "the user running the job"
        return AccessDeniedError(
            f"access denied to {uri} ({action}; {_reason(text)})",
            f"give {where} access to that prefix (on AWS: the Glue job role's policy, components/sparkJob.ts; "
            "locally: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the file's permissions)",
        )
    if _PATH_MISSING.search(text):
        return PathNotFoundError(
            f"{uri} does not exist ({action})",
            "run the job that writes it first, or check --lake_root and the prefix arguments (lake/jobs.ts)",
        )
    return None


def _reason(text: str) -> str:
    """The short storage reason in a Java error text: S3's error code or the Java exception's class."""
    code = re.search(r"Error Code: ([A-Za-z]+)", text)
    if code:
        return code.group(1)
    exception = re.search(r"\b((?:[a-z]+\.)+[A-Z]\w*Exception)\b", text)
    return exception.group(1).rsplit(".", 1)[-1] if exception else "refused"


def _is_spark_error(error: BaseException) -> bool:
    try:
        from py4j.protocol import Py4JJavaError
        from pyspark.errors.exceptions.captured import CapturedException
    except ImportError:  # Only without pyspark, where no Spark error can occur either.
        return False
    return isinstance(error, Py4JJavaError | CapturedException)


@contextmanager
def storage_errors(uri: str | None, action: str = "read"):
    """Translates a storage failure inside the block into its named error (other errors pass through unchanged).

    `uri`: what the block reads or writes (None: taken from the error's text)."""
    try:
        yield
    except JobError:
        raise
    except Exception as error:
        translated = translate(error, uri, action)
        if translated is None:
            raise
        raise translated from error


def describe(error: BaseException) -> str:
    """The one-line message of any failure: a JobError's own, else the (translated) error's class and first line."""
    translated = translate(error)
    if translated is not None:
        return str(translated)
    java = getattr(error, "java_exception", None)
    text = str(java) if java is not None else str(error)
    first = next((line for line in text.splitlines() if line.strip()), "")
    return one_line(
        f"unexpected {type(error).__name__}: {first[:500]}; this is a bug, not a bad input: "
        "report it with the full trace printed above"
    )
