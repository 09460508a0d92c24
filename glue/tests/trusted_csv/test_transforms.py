"""The CSV job's pure transforms (cinelake.trusted_csv.transforms) on a handful of in-memory lines."""

from cinelake.registry import table
from cinelake.trusted_csv import transforms

from tests.support.trusted_fixtures import MOVIES_HEADER, SERIES_HEADER, csv_line


def classify(spark, lines: list[str], table_name: str = "trusted_movies"):
    """Runs the pure transforms over in-memory lines."""
    raw = spark.createDataFrame([(line, "mem") for line in lines], "value string, source_file string")
    normalized = transforms.drop_header(transforms.normalize_lines(raw), table_name)
    return transforms.classify(normalized, table_name, current_year=2026)


def test_header_mapping_matches_the_registry():
    """Every Trusted CSV column comes from a Portuguese header its registry description names (typo included)."""
    assert transforms.source_header("trusted_movies") == MOVIES_HEADER
    assert transforms.source_header("trusted_series") == SERIES_HEADER
    for name in ("trusted_movies", "trusted_series"):
        for column, source in zip(table(name)["columns"], transforms.source_header(name), strict=True):
            assert f"`{source}`" in column["description"], (column, source)


def test_types_nulls_arrays_crlf_and_bom(spark):
    header = "\ufeff" + "|".join(MOVIES_HEADER) + "\r"
    row = csv_line(personagem="\\N", anoFalecimento="\\N", genero="\\N") + "\r"
    [result] = classify(spark, [header, row]).collect()
    assert result["reason"] is None
    assert result["imdb_id"] == "tt0000009"
    assert result["release_year"] == 1894 and result["num_votes"] == 200 and result["average_rating"] == 5.3
    assert result["character_name"] is None and result["death_year"] is None and result["genres"] is None
    assert result["professions"] == ["actress", "writer"]
    assert result["known_for_titles"] == ["tt0000009", "tt0021535"]
    assert result["known_for_titles"][-1].endswith("5"), "the CR of CRLF must not stick to the last field"


def test_series_have_end_year_and_reject_end_before_start(spark):
    ok = csv_line(series=True, anoTermino="1899")
    running = csv_line(series=True, anoTermino="\\N", nomeArtista="Running")
    bad = csv_line(series=True, anoTermino="1890", nomeArtista="Backwards")
    rows = {r["artist_name"]: r for r in classify(spark, [ok, running, bad], "trusted_series").collect()}
    assert rows["Blanche Bayliss"]["end_year"] == 1899 and rows["Blanche Bayliss"]["reason"] is None
    assert rows["Running"]["end_year"] is None and rows["Running"]["reason"] is None
    assert rows["Backwards"]["reason"] == "end_before_start"


def test_distinct_lines_collapse_exact_duplicates_and_count_copies(spark):
    lines = [
        (csv_line(), "a.csv"),
        (csv_line(), "b.csv"),
        (csv_line(), "a.csv"),
        (csv_line(nomeArtista="Other"), "b.csv"),
    ]
    frame = spark.createDataFrame(lines, "line string, source_file string")
    distinct = transforms.distinct_lines(frame, ["a.csv", "b.csv"]).collect()
    copies = {r["line"].split("|")[10]: (r["copies"], r["source_file"]) for r in distinct}
    assert copies == {"Blanche Bayliss": (3, "a.csv"), "Other": (1, "b.csv")}


def test_quarantine_keeps_every_copy_of_a_refused_line(spark):
    frame = spark.createDataFrame(
        [(csv_line(notaMedia="11"), "a.csv", 3)], "line string, source_file string, copies long"
    )
    refused = transforms.quarantined_rows(transforms.classify(frame, "trusted_movies"), "2024-05-02").collect()
    assert [r["reason"] for r in refused] == ["rating_out_of_range"] * 3


def test_empty_items_of_a_comma_list_are_not_genres(spark):
    """`Drama,` is one genre; `,` is none (null, as `\\N`), so Refined gives that title `Unknown` once."""
    cases = {"trailing": "Drama,", "leading": ",Drama", "doubled": "Drama,,Comedy", "empty": ",", "blank": " , "}
    lines = [csv_line(genero=genres, nomeArtista=name) for name, genres in cases.items()]
    rows = {r["artist_name"]: r for r in classify(spark, lines).collect()}
    assert {name: row["genres"] for name, row in rows.items()} == {
        "trailing": ["Drama"],
        "leading": ["Drama"],
        "doubled": ["Drama", "Comedy"],
        "empty": None,
        "blank": None,
    }
    assert all(row["reason"] is None for row in rows.values())


def test_to_trusted_has_the_registry_columns(spark):
    trusted = transforms.to_trusted(classify(spark, [csv_line()]), "trusted_movies")
    assert [(f.name, f.dataType.simpleString()) for f in trusted.schema] == [
        (c["name"], c["type"].replace(" ", "")) for c in table("trusted_movies")["columns"]
    ]
