"""Run reports: per-dataset counts and step durations, the reconciliation rule, and where the report is written."""

import json
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from . import lake
from .errors import ReportImbalanceError


@dataclass
class DatasetCounts:
    """What happened to one input dataset in a run; `raw` must equal trusted + quarantined + duplicates."""

    dataset: str
    day: str | None
    input_files: list[str] = field(default_factory=list)
    raw: int = 0
    trusted: int = 0
    quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    status: str = "done"
    extra: dict = field(default_factory=dict)

    def balanced(self) -> bool:
        """raw = trusted + quarantined + duplicates, and the per-reason counts add up to the quarantined total."""
        return (
            self.raw == self.trusted + self.quarantined + self.duplicates
            and sum(self.quarantined_by_reason.values()) == self.quarantined
        )


@dataclass
class RunReport:
    """One job run: its arguments, per-dataset counts and how long each step took (seconds)."""

    job: str
    requested_date: str
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    datasets: list[DatasetCounts] = field(default_factory=list)
    durations_s: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str):
        """Times a step of the run; the durations show where the job's time goes."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.durations_s[name] = round(self.durations_s.get(name, 0.0) + time.perf_counter() - start, 3)

    def to_json(self) -> str:
        """The report as indented JSON, with each dataset's balance spelled out."""
        body = asdict(self)
        for entry, counts in zip(body["datasets"], self.datasets, strict=True):
            entry["balanced"] = counts.balanced()
        body["balanced"] = all(counts.balanced() for counts in self.datasets)
        return json.dumps(body, indent=2, sort_keys=False) + "\n"

    def report_uri(self, lake_root: str, report_prefix: str) -> str:
        """`<lake_root><report_prefix>dt=<day>/run-<started>.json`, day = the newest day processed (or requested)."""
        days = [d.day for d in self.datasets if d.day]
        day = max(days) if days else self.requested_date
        stamp = self.started_at.replace(":", "").replace("-", "").replace("+0000", "Z")
        return lake.join(lake_root, report_prefix, f"dt={day}/run-{stamp}.json")

    def write_and_check(self, spark, lake_root: str, report_prefix: str) -> str:
        """Writes the report, then raises ReportImbalanceError when any dataset does not balance. Returns its URI."""
        uri = self.report_uri(lake_root, report_prefix)
        lake.write_text(spark, uri, self.to_json())
        unbalanced = [d for d in self.datasets if not d.balanced()]
        if unbalanced:
            details = "; ".join(
                f"{d.dataset}: raw {d.raw} != trusted {d.trusted} + quarantined {d.quarantined} "
                f"(by reason {sum(d.quarantined_by_reason.values())}) + duplicates {d.duplicates}"
                for d in unbalanced
            )
            raise ReportImbalanceError(
                f"{self.job} run does not reconcile ({details}); report at {uri}",
                "this run's Trusted and quarantine outputs are suspect: compare the report with them, fix the cause "
                "(a bug, or the lake changed during the run) and rerun the same --date",
            )
        return uri
