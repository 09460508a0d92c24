"""The exported registry (glue/cinelake/registry.json): its jobs match lake/jobs.ts, the entry scripts name jobs it
holds, it loads from inside the zip Glue imports the package from, and that package holds no local-only code."""

import importlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cinelake.registry import glue_arguments, job, registry

from tests.support.trusted_fixtures import REPO, jobs_contract

ENTRY_SCRIPTS = {"trusted-csv": "trusted_csv", "trusted-tmdb": "trusted_tmdb", "refined": "refined"}


def test_the_jobs_are_those_of_lake_jobs_ts():
    """Stale when lake/jobs.ts changed without `npm run registry:export` (test/lake/registry.test.ts: the text)."""
    contract = jobs_contract()
    exported = {entry["name"]: entry for entry in registry()["jobs"]}
    assert list(exported) == list(contract)
    for name, definition in contract.items():
        assert exported[name]["script"] == definition["script"]
        assert exported[name]["arguments"] == ["lake_root", "date", *definition["prefixes"]]


@pytest.mark.parametrize("name", list(ENTRY_SCRIPTS))
def test_each_entry_script_runs_the_job_whose_script_it_is(name):
    entry = importlib.import_module(ENTRY_SCRIPTS[name])
    assert importlib.import_module(f"cinelake.{ENTRY_SCRIPTS[name]}.job").NAME == name
    assert (REPO / job(name)["script"]).resolve() == Path(entry.__file__).resolve()


def test_an_unknown_job_fails_loudly_with_the_fix():
    with pytest.raises(KeyError, match="run npm run registry:export"):
        job("no-such-job")


def test_job_arguments_are_never_glue_arguments():
    """A job argument Glue also uses would be ambiguous (and getResolvedOptions refuses its reserved names)."""
    glue = set(glue_arguments())
    assert {"JOB_NAME", "TempDir", "job-bookmark-option", "extra-py-files", "enable-metrics"} <= glue
    for entry in registry()["jobs"]:
        assert not glue & set(entry["arguments"]), entry["name"]
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in entry["arguments"]), entry["name"]


def test_the_glue_package_holds_no_local_only_code():
    """glue/cinelake/ is zipped whole for Glue: the DuckDB catalog and its libraries live in glue/local/ instead."""
    package = REPO / "glue" / "cinelake"
    local_only = re.compile(r"^\s*(?:import|from)\s+(?:duckdb|sqlglot|local)\b", re.M)
    offenders = [str(p.relative_to(package)) for p in package.rglob("*.py") if local_only.search(p.read_text())]
    assert offenders == []
    assert not (package / "catalog.py").exists()


@pytest.fixture(scope="module")
def package_zip(tmp_path_factory) -> Path:
    """glue/cinelake zipped as the SparkJob component ships it: the folder at the root, subpackages included."""
    package = REPO / "glue" / "cinelake"
    archive = tmp_path_factory.mktemp("zip") / "cinelake.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(package.rglob("*")):
            if path.suffix in (".py", ".json"):
                zipped.write(path, f"cinelake/{path.relative_to(package).as_posix()}")
    return archive


def run_from_zip(archive: Path, probe: str) -> str:
    """What a clean interpreter prints running `probe` with only the zip on its path (as with --extra-py-files)."""
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=archive.parent,
        env={"PYTHONPATH": str(archive), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_shared_module_reads_the_registry_from_a_zip(package_zip):
    """Glue gets glue/cinelake as a zip (--extra-py-files): the registry must load from inside it."""
    probe = "from cinelake.registry import table; print(table('trusted_tmdb_series')['partitionKeys'][0]['name'])"
    assert run_from_zip(package_zip, probe) == "dt"


def test_every_job_and_its_arguments_load_from_the_zip(package_zip):
    """The per-job subpackages import from the zip, and each job finds its arguments in the zipped registry."""
    probe = (
        "import importlib; from cinelake.registry import job; "
        "print(' '.join(f\"{importlib.import_module(f'cinelake.{m}.job').NAME}:{len(job(n)['arguments'])}\" "
        "for m, n in [('trusted_csv', 'trusted-csv'), ('trusted_tmdb', 'trusted-tmdb'), ('refined', 'refined')]))"
    )
    assert run_from_zip(package_zip, probe) == "trusted-csv:9 trusted-tmdb:9 refined:8"
