"""The facts the lifting evaluation reads for many zones at once."""

from fangkong.zones.facts import gather

from .conftest import B1111, G111


def test_a_zone_inside_another_does_not_double_its_round_results(designate, people, run_round):
    """A grid zone and a building zone inside it, evaluated together: the people of that
    building are counted once in the grid zone's round."""
    grid_zone = designate("controlled", [G111])
    designate("sealed", [B1111])
    run_round(grid_zone, 1, [people["张伟"], people["王芳"]])  # both live in building 1111
    facts = gather(list(type(grid_zone).objects.all()), results="all")
    (day_one,) = [r for r in facts[grid_zone.pk].rounds if r.day == 1]
    assert (day_one.sampled, day_one.negative, day_one.positive) == (2, 2, 0)
