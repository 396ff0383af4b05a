"""The case-kind catalogue as data: kinds, their clocks and their Open311 services."""

from pathlib import Path

CATALOGUE_DIR = Path(__file__).resolve().parent
