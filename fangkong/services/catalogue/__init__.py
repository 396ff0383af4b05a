"""The request-kind catalogue as data: kinds, their clocks and their place in the queue."""

from pathlib import Path

CATALOGUE_DIR = Path(__file__).resolve().parent
