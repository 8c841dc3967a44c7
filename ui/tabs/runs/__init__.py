"""The Runs tab: every run, compared, renamed, tagged, opened, reported, exported, deleted."""
