import json
import os
import shutil
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


@pytest.fixture
def episode_folder(tmp_path, harbour):
    """A folder holding a copy of the harbour example: ep.mp3 and ep.txt."""
    shutil.copy(harbour["audio"], tmp_path / "ep.mp3")
    shutil.copy(harbour["transcript"], tmp_path / "ep.txt")
    return tmp_path
