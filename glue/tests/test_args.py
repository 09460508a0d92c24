"""Strict job arguments (cinelake.args): exactly the job's arguments of the exported registry, all required, beside
the ones AWS Glue passes itself; an unknown or missing one fails the run with one line naming the fix."""

import sys
import types

import pytest
import trusted_csv
from cinelake import args
from cinelake.errors import InvalidArgumentError
from cinelake.registry import job

from tests.support.trusted_fixtures import job_args, job_argv

ROOT = "file:///tmp/lake/"
# What a Glue 5 run puts in sys.argv besides the job's own arguments: the run's identity and the default arguments the
# SparkJob component sets besides them (components/sparkJob.ts: --extra-py-files, --TempDir, --job-bookmark-option,
# --enable-metrics, both as a key-only flag and with a value), and one a reuser may add (--enable-glue-datacatalog).
GLUE_ARGV = [
    "--JOB_ID",
    "j_0123",
    "--JOB_RUN_ID",
    "jr_0123",
    "--JOB_NAME",
    "cinelake-dev-trusted-csv",
    "--job-bookmark-option",
    "job-bookmark-disable",
    "--TempDir",
    "s3://bucket/_system/scripts/trusted-csv/temp/",
    "--extra-py-files",
    "s3://bucket/_system/scripts/trusted-csv/cinelake.zip",
    "--enable-metrics",
    "--enable-glue-datacatalog",
    "true",
    "--enable-metrics=true",
]


def test_the_job_takes_exactly_its_registry_arguments():
    argv = job_argv("trusted-csv", ROOT, "2024-05-02")
    assert args.check_args("trusted-csv", argv) == job_args("trusted-csv", ROOT, "2024-05-02")
    assert list(args.check_args("trusted-csv", argv)) == job("trusted-csv")["arguments"]


def test_glue_s_own_arguments_are_accepted_and_left_out():
    argv = job_argv("trusted-csv", ROOT)
    resolved = args.check_args("trusted-csv", [argv[0], *GLUE_ARGV[:8], *argv[1:], *GLUE_ARGV[8:]])
    assert resolved == job_args("trusted-csv", ROOT)


def test_an_unknown_argument_is_refused_with_the_fix():
    argv = [*job_argv("refined", ROOT), "--raw_movies", "Raw/Local/CSV/Movies/"]  # trusted-csv's, not refined's
    with pytest.raises(InvalidArgumentError) as refused:
        args.check_args("refined", argv)
    message = str(refused.value)
    assert message.startswith("unknown argument --raw_movies: not an argument of the refined job (lake_root, date,")
    assert "lake/jobs.ts" in message and "npm run registry:export" in message and "\n" not in message


@pytest.mark.parametrize("typo", ["--lake-root", "--lake", "--Date", "--"])
def test_a_misspelt_argument_is_refused_not_taken_for_another(typo):
    with pytest.raises(InvalidArgumentError, match="unknown argument"):
        args.check_args("trusted-csv", [*job_argv("trusted-csv", ROOT), typo, "x"])


def test_a_missing_argument_is_refused_naming_it():
    argv = job_argv("trusted-tmdb", ROOT)
    index = argv.index("--report_prefix")
    with pytest.raises(InvalidArgumentError) as refused:
        args.check_args("trusted-tmdb", argv[:index] + argv[index + 2 :])
    message = str(refused.value)
    assert message.startswith("missing argument(s) --report_prefix of the trusted-tmdb job; pass every one of")
    assert "--lake_root, --date, --raw_tmdb_movies" in message


def test_an_argument_without_a_value_is_refused():
    argv = job_argv("refined", ROOT)
    index = argv.index("--date")
    with pytest.raises(InvalidArgumentError, match="--date has no value; pass --date <value>"):
        args.check_args("refined", [*argv[:index], "--date", *argv[index + 2 :]])


def test_the_entry_script_ends_with_one_line_and_builds_no_session(capsys):
    """Refused before Spark starts: no session is built (spark=None here) and the last line names the fix."""
    with pytest.raises(SystemExit) as stopped:
        trusted_csv.main([*job_argv("trusted-csv", ROOT), "--extra_prefix", "Trusted/"])
    line = stopped.value.code
    assert line.startswith("cinelake trusted-csv: unknown argument --extra_prefix: ") and "\n" not in line
    assert isinstance(stopped.value.__cause__, InvalidArgumentError)
    assert "Traceback (most recent call last)" in capsys.readouterr().err


@pytest.fixture
def on_glue(monkeypatch):
    """A stand-in `awsglue.utils.getResolvedOptions` (Glue's own, which ignores unknown arguments); records calls."""
    calls = []

    def get_resolved_options(argv, names):
        calls.append((list(argv), list(names)))
        return {"JOB_NAME": "from-glue", **{name: argv[argv.index(f"--{name}") + 1] for name in names}}

    utils = types.ModuleType("awsglue.utils")
    utils.getResolvedOptions = get_resolved_options
    package = types.ModuleType("awsglue")
    package.utils = utils
    monkeypatch.setitem(sys.modules, "awsglue", package)
    monkeypatch.setitem(sys.modules, "awsglue.utils", utils)
    return calls


def test_on_glue_the_values_come_from_get_resolved_options(on_glue):
    argv = [*job_argv("refined", ROOT), *GLUE_ARGV]
    resolved = args.resolve_args("refined", argv)
    assert on_glue == [(argv, job("refined")["arguments"])]
    assert resolved["JOB_NAME"] == "from-glue" and resolved["lake_root"] == ROOT


def test_on_glue_an_unknown_argument_fails_the_run_with_the_named_error(on_glue, capsys):
    """Glue reports the uncaught error's message: the same one line, as InvalidArgumentError."""
    with pytest.raises(InvalidArgumentError) as raised:
        trusted_csv.main([*job_argv("trusted-csv", ROOT), *GLUE_ARGV, "--lake_rot", "s3://other/"])
    assert str(raised.value).startswith("cinelake trusted-csv: unknown argument --lake_rot: ")
    assert on_glue == [], "refused before getResolvedOptions, which would have ignored it"
