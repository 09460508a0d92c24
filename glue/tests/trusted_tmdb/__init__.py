"""Tests of the trusted-tmdb job: its pure transforms, and the job through its entry script."""
