"""Protocol presets: versioned YAML files, validated and loaded into the database by
`fangkong.zones.protocols` (`fangkong protocol load`, also on first use).

Each file is one preset; its `name` is the file name, and a change of content needs a new
`version`, because every risk zone keeps the version it was designated under.
"""

from pathlib import Path

PRESET_DIR = Path(__file__).resolve().parent


def preset_files() -> list[Path]:
    return sorted(PRESET_DIR.glob("*.yaml"))
