from __future__ import annotations

from pathlib import Path

import pytest

from tests.lrfind.colors import color_folder


@pytest.fixture(scope="session")
def colors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return color_folder(tmp_path_factory.mktemp("colors") / "images")
