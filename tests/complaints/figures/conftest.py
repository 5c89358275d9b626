import pytest


@pytest.fixture(autouse=True)
def _figures_fresh_on_every_read(settings):
    """These tests change cases and read the figures at once: no sharing window (test_sharing sets one)."""
    settings.FIGURES_CACHE_SECONDS = 0
