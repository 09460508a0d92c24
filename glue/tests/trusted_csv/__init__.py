"""Tests of the trusted-csv job: its pure transforms, and the job through its entry script."""
