"""Tests of the refined job: its pure transforms and integrity checks, the job, and the whole chain end to end."""
