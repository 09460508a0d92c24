"""The run report (cinelake.report): counts that do not balance are written, then refused."""

import json

import pytest
from cinelake.errors import ReportImbalanceError
from cinelake.report import DatasetCounts, RunReport

DAY = "2024-05-02"


def test_report_refuses_unbalanced_counts(spark, tmp_path):
    report = RunReport(job="trusted-csv", requested_date=DAY)
    report.datasets.append(DatasetCounts(dataset="movies", day=DAY, raw=10, trusted=8, quarantined=1))
    with pytest.raises(ReportImbalanceError, match="raw 10 != trusted 8"):
        report.write_and_check(spark, tmp_path.as_uri() + "/", "_system/reports/trusted-csv/")
    written = list(tmp_path.glob(f"_system/reports/trusted-csv/dt={DAY}/run-*.json"))
    assert len(written) == 1 and json.loads(written[0].read_text())["balanced"] is False
