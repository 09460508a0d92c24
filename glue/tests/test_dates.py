"""Days after tomorrow (UTC) are refused wherever a job takes a day, and `latest` passes over such folders (issue 13
#7: a far-future folder used to become every `latest` job's day)."""

from datetime import date

import pytest
from cinelake import lake
from cinelake.errors import InvalidArgumentError
from cinelake.refined.job import as_of_day

TODAY = date(2026, 12, 1)


def test_a_day_after_tomorrow_is_refused_with_the_fix():
    with pytest.raises(InvalidArgumentError, match=r"--date 9999-12-31 is after tomorrow \(2026-12-02, UTC\)"):
        lake.check_day("9999-12-31", TODAY)
    with pytest.raises(InvalidArgumentError, match="after tomorrow"):
        lake.check_day("2026-12-03", TODAY)


def test_tomorrow_and_earlier_days_are_taken():
    assert lake.check_day("2026-12-02", TODAY) == "2026-12-02"
    assert lake.check_day("2020-01-31", TODAY) == "2020-01-31"
    with pytest.raises(InvalidArgumentError, match="not a calendar day"):
        lake.check_day("2026-02-30", TODAY)


def test_the_refined_job_takes_the_same_rule():
    with pytest.raises(InvalidArgumentError, match="after tomorrow"):
        as_of_day("9999-12-31")


def test_latest_passes_over_a_folder_dated_after_tomorrow(spark, tmp_path):
    for day in ("2026/11/30", "2026/12/02", "9999/12/31"):
        (tmp_path / "Raw" / day).mkdir(parents=True)
        (tmp_path / "Raw" / day / "movies.csv").write_text("x\n")
    uri = f"file://{tmp_path}/Raw/"
    assert lake.resolve_day(spark, uri, "latest", TODAY) == "2026-12-02"
    with pytest.raises(InvalidArgumentError, match="after tomorrow"):
        lake.resolve_day(spark, uri, "9999-12-31", TODAY)
