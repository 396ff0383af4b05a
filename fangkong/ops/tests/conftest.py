"""The command centre's fixtures (a tube received by the lab, the lab and its token), reused."""

from fangkong.command.tests import conftest as command_fixtures

_fast_passwords = command_fixtures._fast_passwords
lab = command_fixtures.lab
mass_round = command_fixtures.mass_round
now = command_fixtures.now
received_tube = command_fixtures.received_tube
sample_item = command_fixtures.sample_item
station = command_fixtures.station
tablet = command_fixtures.tablet
tubes = command_fixtures.tubes
