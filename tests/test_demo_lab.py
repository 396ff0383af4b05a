"""The demo's lab account and the 13 June replay work in the same laboratory, so the boxes the
replay sends are the ones the lab account receives."""

from fangkong.demo.accounts import DEMO_LAB
from fangkong.scenarios.june13_cast import LAB


def test_the_demo_lab_is_the_replays_lab():
    assert DEMO_LAB == LAB
