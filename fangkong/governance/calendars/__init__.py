"""The official calendar as data: one YAML file per source, updated each December."""

from pathlib import Path

CALENDAR_DIR = Path(__file__).resolve().parent
