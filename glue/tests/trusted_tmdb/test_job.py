"""The TMDB job (cinelake.trusted_tmdb.job) through its entry script: every malformed file/record kind,
latest-record dedupe and partition reruns."""

import json
import os
from pathlib import Path

import pytest
import trusted_tmdb

from tests.support.tmdb_fixtures import movie, series
from tests.support.trusted_fixtures import job_argv, prefix, raw_day_dir

DAY = "2024-05-03"

JOB = "trusted-tmdb"

# (expected reason, file content): each file holds one good movie (id 900+i) and one bad record, or is bad itself.
MALFORMED_RECORDS = [
    ("not_an_object", 7),
    ("tmdb_error", {"success": False, "status_code": 34, "status_message": "The resource could not be found."}),
    ("wrong_type", movie(11, budget="a lot")),
    ("missing_id", {k: v for k, v in movie(12).items() if k != "id"}),
    ("invalid_id", movie(-13)),
    ("invalid_id", movie(13, id=2**40)),
    ("missing_title", movie(14, title="")),
    ("invalid_imdb_id", movie(15, imdb_id="nm0000015")),
    ("invalid_date", movie(16, release_date="2019-02-30")),
    ("invalid_date", movie(17, release_date="17/09/2019")),
    ("negative_value", movie(18, revenue=-1)),
    ("negative_value", movie(19, runtime=-90)),
    ("vote_average_out_of_range", movie(20, vote_average=11.5)),
]

MALFORMED_FILES = [
    ("invalid_json", '[{"id": 1, "title": "cut off'),
    ("empty_file", ""),
    ("unrecognised_document", '{"page": 1, "total_pages": 0}'),
    ("unrecognised_document", "42"),
]


def write_json(folder: Path, name: str, document, modified: int) -> None:
    """One Raw file, with an explicit modification time (which decides the latest record of an id)."""
    path = folder / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    os.utime(path, (modified, modified))


@pytest.fixture(scope="module")
def tmdb_run(spark, tmp_path_factory):
    """The TMDB job run once through its entry script over a local lake with every malformed kind and duplicates."""
    lake = tmp_path_factory.mktemp("lake-tmdb")
    movies = raw_day_dir(lake, prefix(JOB, "raw_tmdb_movies"), DAY)
    tv = raw_day_dir(lake, prefix(JOB, "raw_tmdb_series"), DAY)
    base = 1_700_000_000
    # Movie 1 twice in one file (the later position wins) and again in a newer file (which wins over both).
    write_json(movies, "batch-0001.json", [movie(1, vote_count=1), movie(2), movie(1, vote_count=2)], base)
    write_json(movies, "batch-0002.json", {"results": [movie(1, vote_count=3), movie(3, budget=0)]}, base + 60)
    write_json(movies, "single.json", movie(4), base)
    for i, (reason, record) in enumerate(MALFORMED_RECORDS):
        write_json(movies, f"bad-record-{i:02d}-{reason}.json", [movie(900 + i), record], base)
    for i, (reason, text) in enumerate(MALFORMED_FILES):
        write_json(movies, f"bad-file-{i:02d}-{reason}.json", text, base)
    write_json(tv, "batch-0001.json", [series(1), series(2, external_ids={"imdb_id": None}), series(1)], base)
    report = trusted_tmdb.main(job_argv(JOB, lake.as_uri() + "/", "latest"), spark=spark)
    return lake, report


def quarantine(spark, lake: Path, key: str) -> list[dict]:
    path = lake / prefix(JOB, key) / f"dt={DAY}"
    return [r.asDict() for r in spark.read.json(str(path)).collect()]


def trusted(spark, lake: Path, key: str) -> dict[int, dict]:
    rows = spark.read.parquet(str(lake / prefix(JOB, key) / f"dt={DAY}")).collect()
    return {r["tmdb_id"]: r.asDict(recursive=True) for r in rows}


@pytest.mark.parametrize(("index", "reason"), [(i, r) for i, (r, _) in enumerate(MALFORMED_RECORDS)])
def test_malformed_records_are_quarantined_with_their_reason(spark, tmdb_run, index, reason):
    lake, _ = tmdb_run
    name = f"bad-record-{index:02d}-{reason}.json"
    entries = [q for q in quarantine(spark, lake, "quarantine_tmdb_movies") if q["source_file"].endswith(name)]
    assert [(q["reason"], q["position"]) for q in entries] == [(reason, 1)]
    assert 900 + index in trusted(spark, lake, "trusted_tmdb_movies"), "the good record of the same file is kept"


@pytest.mark.parametrize(("index", "reason"), [(i, r) for i, (r, _) in enumerate(MALFORMED_FILES)])
def test_malformed_files_are_quarantined_whole(spark, tmdb_run, index, reason):
    lake, report = tmdb_run
    name = f"bad-file-{index:02d}-{reason}.json"
    [entry] = [q for q in quarantine(spark, lake, "quarantine_tmdb_movies") if q["source_file"].endswith(name)]
    assert entry["reason"] == reason and entry.get("position") is None
    assert entry.get("record", "") == MALFORMED_FILES[index][1]


def test_one_row_per_id_the_latest_record_wins(spark, tmdb_run):
    lake, _ = tmdb_run
    rows = trusted(spark, lake, "trusted_tmdb_movies")
    assert rows[1]["vote_count"] == 3 and rows[1]["source_file"].endswith("batch-0002.json")
    assert rows[4]["title"] == "Movie 4", "a file holding one detail object is read too"
    series_rows = trusted(spark, lake, "trusted_tmdb_series")
    assert sorted(series_rows) == [1, 2]


def test_typed_values_and_unknown_money(spark, tmdb_run):
    lake, _ = tmdb_run
    rows = trusted(spark, lake, "trusted_tmdb_movies")
    first = rows[1]
    assert first["budget"] == 1_000_000 and first["revenue"] is None, "revenue 0 means unknown"
    assert rows[3]["budget"] is None
    assert str(first["release_date"]) == "2019-09-17" and first["tagline"] is None and first["homepage"] is None
    assert first["belongs_to_collection"] == {"id": 10, "name": "Saga Collection"}
    assert [c["name"] for c in first["cast"]] == ["A. Actor", "B. Actress"] and first["cast"][1]["order"] == 1
    assert first["crew"][0]["job"] == "Director" and first["keywords"] == [{"id": 9882, "name": "space"}]
    assert [
        (d["iso_3166_1"], d["certification"], str(d["release_date"]), d["type"]) for d in first["release_dates"]
    ] == [
        ("US", "PG-13", "2019-09-20", 3),
        ("US", None, "2019-12-17", 5),
        ("BR", "14", "2019-09-19", 3),
    ]
    tv = trusted(spark, lake, "trusted_tmdb_series")
    assert tv[1]["imdb_id"] == "tt0000001" and tv[2]["imdb_id"] is None, "series take imdb_id from external_ids"
    assert tv[1]["episode_run_time"] == [45, 50] and tv[1]["content_ratings"] == [
        {"iso_3166_1": "US", "rating": "TV-MA"}
    ]
    assert tv[1]["networks"][0]["name"] == "AMC" and tv[1]["keywords"] == [{"id": 1, "name": "drug"}]


def test_run_report_reconciles_every_record(spark, tmdb_run):
    lake, report = tmdb_run
    movies, tv = report.datasets
    good = 3 + 2 + 1 + len(MALFORMED_RECORDS)
    assert movies.raw == good + len(MALFORMED_RECORDS)
    assert (movies.trusted, movies.duplicates, movies.quarantined) == (4 + len(MALFORMED_RECORDS), 2, 13)
    assert movies.quarantined_by_reason["invalid_date"] == 2
    assert movies.extra["files_quarantined_by_reason"] == {
        "empty_file": 1,
        "invalid_json": 1,
        "unrecognised_document": 2,
    }
    assert (tv.raw, tv.trusted, tv.duplicates, tv.quarantined) == (3, 2, 1, 0)
    [written] = (lake / prefix(JOB, "report_prefix") / f"dt={DAY}").glob("run-*.json")
    assert json.loads(written.read_text())["balanced"] is True


def test_rerun_replaces_exactly_its_partition(spark, tmdb_run):
    lake, _ = tmdb_run
    other_day = lake / prefix(JOB, "trusted_tmdb_movies") / "dt=2024-05-01"
    spark.createDataFrame([(1,)], "tmdb_id int").write.mode("overwrite").parquet(str(other_day))
    movies = raw_day_dir(lake, prefix(JOB, "raw_tmdb_movies"), DAY)
    for path in movies.iterdir():
        path.unlink()
    write_json(movies, "only.json", [movie(77)], 1_700_000_000)
    trusted_tmdb.main(job_argv(JOB, lake.as_uri() + "/", DAY), spark=spark)
    assert sorted(trusted(spark, lake, "trusted_tmdb_movies")) == [77]
    assert spark.read.parquet(str(other_day)).count() == 1, "another day's partition is left alone"
    assert quarantine(spark, lake, "quarantine_tmdb_movies") == [], "the day's quarantine is replaced too"


def test_a_day_left_without_valid_records_loses_its_partition(spark, tmp_path):
    """Written and checked in one pass: a rerun that finds no valid record removes the day's old partition."""
    movies = raw_day_dir(tmp_path, prefix(JOB, "raw_tmdb_movies"), DAY)
    write_json(movies, "first.json", [movie(5)], 1_700_000_000)
    trusted_tmdb.main(job_argv(JOB, tmp_path.as_uri() + "/", DAY), spark=spark)
    assert list(trusted(spark, tmp_path, "trusted_tmdb_movies")) == [5]
    (movies / "first.json").unlink()
    write_json(movies, "again.json", [movie(-5)], 1_700_000_060)
    report = trusted_tmdb.main(job_argv(JOB, tmp_path.as_uri() + "/", DAY), spark=spark)
    [counts] = [d for d in report.datasets if d.dataset == "movies"]
    assert (counts.raw, counts.trusted, counts.quarantined) == (1, 0, 1) and counts.balanced()
    assert counts.quarantined_by_reason == {"invalid_id": 1}
    assert not (tmp_path / prefix(JOB, "trusted_tmdb_movies") / f"dt={DAY}").exists()


@pytest.mark.parametrize("with_subfolder", [False, True], ids=["folder-read", "file-by-file"])
def test_a_day_of_many_files_is_read_whole(spark, tmp_path, with_subfolder):
    """More files than Spark lists on the driver: read as their folder (or one by one when it holds a folder too)."""
    from cinelake.trusted_tmdb.job import FILES_LISTED_ONE_BY_ONE

    movies = raw_day_dir(tmp_path, prefix(JOB, "raw_tmdb_movies"), DAY)
    many = FILES_LISTED_ONE_BY_ONE + 8
    for i in range(many):
        write_json(movies, f"batch-{i:04d}.json", [movie(100 + i)], 1_700_000_000)
    write_json(movies, "empty.json", "", 1_700_000_000)
    write_json(movies, "notes.txt", "not a Raw file", 1_700_000_000)
    if with_subfolder:
        (movies / "later").mkdir()
        write_json(movies / "later", "batch-9999.json", [movie(999)], 1_700_000_000)
    report = trusted_tmdb.main(job_argv(JOB, tmp_path.as_uri() + "/", DAY), spark=spark)
    [counts] = [d for d in report.datasets if d.dataset == "movies"]
    assert (counts.raw, counts.trusted, counts.extra["files"]) == (many, many, many + 1) and counts.balanced()
    assert counts.extra["files_quarantined_by_reason"] == {"empty_file": 1}
    assert sorted(trusted(spark, tmp_path, "trusted_tmdb_movies")) == list(range(100, 100 + many))


def test_nothing_collected_yet_is_not_an_error(spark, tmp_path):
    # The ApiIngestor's first slice may come after the workflow's first run: the job reports it and succeeds.
    report = trusted_tmdb.main(job_argv(JOB, tmp_path.as_uri() + "/", DAY), spark=spark)
    assert [d.status for d in report.datasets] == ["no_input", "no_input"]
    assert [(d.raw, d.trusted) for d in report.datasets] == [(0, 0), (0, 0)]
    [written] = (tmp_path / prefix(JOB, "report_prefix") / f"dt={DAY}").glob("run-*.json")
    assert json.loads(written.read_text())["balanced"] is True
