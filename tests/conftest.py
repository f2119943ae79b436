import json
import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test gets the same throwaway recognition cache, never the user's."""
    monkeypatch.setenv("ALIGN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "recognition-cache"))


@pytest.fixture(scope="session")
def harbour():
    folder = FIXTURES / "harbour"
    return {"audio": folder / "episode.mp3", "transcript": folder / "transcript.txt",
            "truth": json.loads((folder / "truth.json").read_text())}
