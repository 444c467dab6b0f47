"""Source adapters: export files → canonical ``Issue`` stream (``reading.read_issues``; see that module)."""
