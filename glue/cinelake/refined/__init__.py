"""The refined job: Trusted tables -> the Refined star schema (transforms pure, job the wiring)."""
