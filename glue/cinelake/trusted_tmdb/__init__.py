"""The trusted-tmdb job: Raw TMDB JSON of one day -> Trusted `dt` partitions (transforms pure, job the wiring)."""
