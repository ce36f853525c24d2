"""Shared test settings for the pure core."""

from hypothesis import settings

# No example database: the tests must not write outside their own directories,
# and a run should not depend on what an earlier run happened to find.
settings.register_profile("core", database=None, deadline=None)
settings.load_profile("core")
