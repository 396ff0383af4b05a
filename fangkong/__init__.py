"""Fangkong (防控): a district command system for risk prevention and control."""

__version__ = "0.1.0"
