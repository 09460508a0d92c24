"""The CSV job (cinelake.trusted_csv.job) through its entry script: every malformed-row kind on a local lake."""

import base64
import json
from pathlib import Path

import pytest
import trusted_csv
from cinelake.errors import HeaderMismatchError, NoInputError

from tests.support.trusted_fixtures import (
    MOVIES_HEADER,
    SERIES_HEADER,
    csv_line,
    job_argv,
    prefix,
    raw_day_dir,
    write_csv,
)

DAY = "2024-05-02"

# (expected reason, Raw line): each line is refused for exactly that reason.
MALFORMED_MOVIES = [
    ("blank_line", ""),
    ("wrong_column_count", "|".join(csv_line(nomeArtista="Short").split("|")[:-1])),
    ("wrong_column_count", csv_line(nomeArtista="Long") + "|extra"),
    ("invalid_encoding", csv_line(nomeArtista="Bad \ufffd bytes")),
    ("invalid_imdb_id", csv_line(id="nm0000009", nomeArtista="Person id")),
    ("invalid_imdb_id", csv_line(id="\\N", nomeArtista="No id")),
    ("missing_title", csv_line(tituloPincipal="\\N", nomeArtista="Untitled")),
    ("not_a_number", csv_line(anoLancamento="19x4", nomeArtista="Text year")),
    ("not_a_number", csv_line(numeroVotos="many", nomeArtista="Text votes")),
    ("not_a_number", csv_line(notaMedia="5,3", nomeArtista="Comma rating")),
    ("not_a_number", csv_line(tempoMinutos="99999999999", nomeArtista="Huge runtime")),
    ("negative_value", csv_line(numeroVotos="-5", nomeArtista="Negative votes")),
    ("negative_value", csv_line(tempoMinutos="-45", nomeArtista="Negative runtime")),
    ("rating_out_of_range", csv_line(notaMedia="11.5", nomeArtista="Too good")),
    ("bad_year", csv_line(anoLancamento="1700", nomeArtista="Too early")),
    ("bad_year", csv_line(anoNascimento="2999", anoFalecimento="\\N", nomeArtista="Unborn")),
    ("death_before_birth", csv_line(anoNascimento="1950", anoFalecimento="1900", nomeArtista="Backwards")),
    ("implausible_age", csv_line(anoNascimento="1800", anoFalecimento="1990", nomeArtista="Methuselah")),
    ("bad_artist_category", csv_line(generoArtista="director", nomeArtista="Director")),
    ("invalid_known_for_title", csv_line(titulosMaisConhecidos="tt0000009,nm0001", nomeArtista="Bad known for")),
]

MALFORMED_SERIES = [("end_before_start", csv_line(series=True, anoTermino="1890", nomeArtista="Ended early"))]

GOOD_MOVIES = [
    csv_line(),
    csv_line(),  # exact duplicate
    csv_line(nomeArtista="Null fields", personagem="\\N", anoNascimento="\\N", anoFalecimento="\\N", genero="\\N"),
]

GOOD_SERIES = [csv_line(series=True), csv_line(series=True, anoTermino="\\N", nomeArtista="Still running")]

# Lines given as bytes, written as they are: a genuine U+FFFD in valid UTF-8 (a valid row), and Latin-1 (not UTF-8).
GENUINE_REPLACEMENT_CHARACTER = csv_line(nomeArtista="Real \ufffd name").encode("utf-8")

LATIN1_LINE = csv_line(nomeArtista="José Latin", personagem="Ângela").encode("latin-1")

BYTES_MOVIES = [GENUINE_REPLACEMENT_CHARACTER, LATIN1_LINE]


@pytest.fixture(scope="module")
def csv_run(spark, tmp_path_factory):
    """The CSV job run once, through its entry script, over a local lake holding every malformed kind."""
    lake = tmp_path_factory.mktemp("lake-csv")
    movies = [line for _, line in MALFORMED_MOVIES] + GOOD_MOVIES + BYTES_MOVIES
    series = [line for _, line in MALFORMED_SERIES] + GOOD_SERIES
    write_csv(raw_day_dir(lake, prefix("trusted-csv", "raw_movies"), DAY) / "movies.csv", MOVIES_HEADER, movies)
    write_csv(raw_day_dir(lake, prefix("trusted-csv", "raw_series"), DAY) / "series.csv", SERIES_HEADER, series)
    report = trusted_csv.main(job_argv("trusted-csv", lake.as_uri() + "/", "latest"), spark=spark)
    return lake, report


def quarantine(spark, lake: Path, key: str) -> dict[str, str]:
    path = lake / prefix("trusted-csv", key) / f"dt={DAY}"
    return {r["line"]: r["reason"] for r in spark.read.json(str(path)).collect()}


def trusted_artists(spark, lake: Path, key: str) -> list[str]:
    return [r["artist_name"] for r in spark.read.parquet(str(lake / prefix("trusted-csv", key))).collect()]


@pytest.mark.parametrize(
    ("reason", "line"), MALFORMED_MOVIES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(MALFORMED_MOVIES)]
)
def test_malformed_movie_rows_are_quarantined_with_their_reason(spark, csv_run, reason, line):
    lake, _ = csv_run
    refused = quarantine(spark, lake, "quarantine_movies")
    assert refused.get(line) == reason
    artist = line.split("|")[10] if line.count("|") >= 10 else None
    assert artist is None or artist not in trusted_artists(spark, lake, "trusted_movies")


def test_malformed_series_rows_are_quarantined_with_their_reason(spark, csv_run):
    lake, _ = csv_run
    refused = quarantine(spark, lake, "quarantine_series")
    for reason, line in MALFORMED_SERIES:
        assert refused.get(line) == reason
    assert sorted(trusted_artists(spark, lake, "trusted_series")) == ["Blanche Bayliss", "Still running"]


def test_run_report_reconciles_every_row(spark, csv_run):
    lake, report = csv_run
    movies, series = report.datasets
    assert (movies.raw, movies.trusted, movies.quarantined, movies.duplicates) == (
        len(MALFORMED_MOVIES) + len(GOOD_MOVIES) + len(BYTES_MOVIES),
        len(GOOD_MOVIES) - 1 + 1,  # one exact duplicate; the genuine U+FFFD line is valid
        len(MALFORMED_MOVIES) + 1,  # the Latin-1 line
        1,
    )
    assert sum(movies.quarantined_by_reason.values()) == movies.quarantined
    assert movies.quarantined_by_reason["not_a_number"] == 4
    assert movies.quarantined_by_reason["invalid_encoding"] == 2
    assert (series.raw, series.trusted, series.quarantined) == (3, 2, 1)
    [written] = (lake / prefix("trusted-csv", "report_prefix") / f"dt={DAY}").glob("run-*.json")
    body = json.loads(written.read_text())
    assert body["balanced"] is True and body["datasets"][0]["raw"] == movies.raw
    assert set(body["durations_s"]) >= {"movies: write Trusted Parquet", "series: write quarantine"}


def test_a_genuine_replacement_character_in_valid_utf8_is_trusted(spark, csv_run):
    lake, _ = csv_run
    assert "Real \ufffd name" in trusted_artists(spark, lake, "trusted_movies")
    assert GENUINE_REPLACEMENT_CHARACTER.decode("utf-8") not in quarantine(spark, lake, "quarantine_movies")


def test_quarantine_keeps_the_original_bytes_of_every_line(spark, csv_run):
    """Invalid UTF-8 is told from the bytes, and the quarantine stores them exactly (`line_base64`)."""
    lake, _ = csv_run
    path = lake / prefix("trusted-csv", "quarantine_movies") / f"dt={DAY}"
    records = [r.asDict() for r in spark.read.json(str(path)).collect()]
    stored = {base64.b64decode(r["line_base64"]): r for r in records}
    latin1 = stored[LATIN1_LINE]
    assert latin1["reason"] == "invalid_encoding"
    assert latin1["line"] == LATIN1_LINE.decode("utf-8", errors="replace"), "line: the best-effort text"
    invalid_byte = csv_line(nomeArtista="Bad \ufffd bytes").encode("utf-8").replace("\ufffd".encode(), b"\xff")
    assert stored[invalid_byte]["reason"] == "invalid_encoding"
    for original, record in stored.items():
        # Every record, valid UTF-8 or not: the bytes decode to the text column (which is exact for valid UTF-8).
        assert original.decode("utf-8", errors="replace") == record["line"]
        assert b"\r" not in original and not original.startswith(b"\xef\xbb\xbf")
    assert len(records) == len(MALFORMED_MOVIES) + 1


def test_rerun_overwrites_the_table(spark, csv_run):
    """Rerunning a day replaces the unpartitioned table instead of appending to it."""
    lake, report = csv_run
    again = trusted_csv.main(job_argv("trusted-csv", lake.as_uri() + "/", DAY), spark=spark)
    assert again.datasets[0].trusted == report.datasets[0].trusted
    assert len(trusted_artists(spark, lake, "trusted_movies")) == report.datasets[0].trusted


def test_a_day_without_refused_lines_writes_an_empty_quarantine_and_reconciles(spark, tmp_path):
    """The quarantine pass is skipped when classification refused nothing: the day's folder is still written, empty."""
    folder = raw_day_dir(tmp_path, prefix("trusted-csv", "raw_movies"), DAY)
    write_csv(folder / "movies.csv", MOVIES_HEADER, [csv_line(), csv_line(), csv_line(nomeArtista="Other")])
    report = trusted_csv.main(job_argv("trusted-csv", tmp_path.as_uri() + "/", DAY), spark=spark)
    [movies] = [d for d in report.datasets if d.dataset == "movies"]
    assert (movies.raw, movies.trusted, movies.quarantined, movies.duplicates) == (3, 2, 0, 1)
    assert movies.quarantined_by_reason == {} and movies.balanced()
    path = tmp_path / prefix("trusted-csv", "quarantine_movies") / f"dt={DAY}"
    assert (path / "_SUCCESS").exists() and [p.read_text() for p in path.glob("part-*.json")] == [""]


def test_every_copy_of_a_refused_line_is_quarantined_and_counted(spark, tmp_path):
    """Refused duplicates stay in the quarantine (one record per copy) and the counts of both passes reconcile."""
    folder = raw_day_dir(tmp_path, prefix("trusted-csv", "raw_movies"), DAY)
    bad = csv_line(notaMedia="11.5", nomeArtista="Too good")
    write_csv(folder / "movies.csv", MOVIES_HEADER, [bad, csv_line(), bad, bad])
    report = trusted_csv.main(job_argv("trusted-csv", tmp_path.as_uri() + "/", DAY), spark=spark)
    [movies] = [d for d in report.datasets if d.dataset == "movies"]
    assert (movies.raw, movies.trusted, movies.quarantined, movies.duplicates) == (4, 1, 3, 0)
    assert movies.quarantined_by_reason == {"rating_out_of_range": 3} and movies.balanced()
    assert "classified_by_reason" not in movies.extra
    records = spark.read.json(str(tmp_path / prefix("trusted-csv", "quarantine_movies") / f"dt={DAY}")).collect()
    assert [r["line"] for r in records] == [bad] * 3


def test_unexpected_header_fails_loudly(spark, tmp_path):
    folder = raw_day_dir(tmp_path, prefix("trusted-csv", "raw_movies"), DAY)
    write_csv(folder / "movies.csv", [h.lower() for h in MOVIES_HEADER], [csv_line()])
    with pytest.raises(SystemExit, match="expected 'id\\|tituloPincipal") as stopped:
        trusted_csv.main(job_argv("trusted-csv", tmp_path.as_uri() + "/", DAY), spark=spark)
    assert isinstance(stopped.value.__cause__, HeaderMismatchError)


def test_a_wrong_header_in_one_dataset_writes_nothing(spark, tmp_path):
    """Every header is checked before the datasets' passes start (they run side by side): no table is half updated."""
    movies = raw_day_dir(tmp_path, prefix("trusted-csv", "raw_movies"), DAY) / "movies.csv"
    write_csv(movies, MOVIES_HEADER, [csv_line()])
    series = raw_day_dir(tmp_path, prefix("trusted-csv", "raw_series"), DAY) / "series.csv"
    write_csv(series, MOVIES_HEADER, [csv_line()])
    with pytest.raises(SystemExit, match="expected 'id\\|tituloPincipal"):
        trusted_csv.main(job_argv("trusted-csv", tmp_path.as_uri() + "/", DAY), spark=spark)
    assert not (tmp_path / prefix("trusted-csv", "trusted_movies")).exists()


def test_no_input_fails_loudly(spark, tmp_path):
    with pytest.raises(SystemExit, match="no Raw CSV") as stopped:
        trusted_csv.main(job_argv("trusted-csv", tmp_path.as_uri() + "/", "latest"), spark=spark)
    assert isinstance(stopped.value.__cause__, NoInputError)
