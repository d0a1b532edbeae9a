"""The KOC programme (key opinion customers, DOMAIN.md §6): candidates with their evidence, a roster whose every
change says who and why, group assignments, monthly evaluation and rotation."""
