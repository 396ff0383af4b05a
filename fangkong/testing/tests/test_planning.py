"""The round planner and the pooling advisor, against the guide's sizing rules and hand-computed
Dorfman values."""

import math

import pytest

from fangkong.testing.planning import (
    DEFAULTS,
    PoolingInputError,
    advise_pooling,
    ct_shift,
    dorfman_tests_per_person,
    plan_round,
    planning_settings,
)


@pytest.mark.parametrize(
    ("population", "sites", "tables", "samplers"),
    [
        # population, (sites min, max), (tables min, max), samplers = ceil(population / 360)
        (0, (0, 0), (0, 0), 0),
        (1, (1, 1), (1, 1), 1),
        (2_000, (1, 1), (3, 3), 6),
        (3_000, (1, 1), (4, 5), 9),
        (6_799, (3, 3), (9, 11), 19),  # the seed page's district round
        (10_000, (4, 5), (13, 16), 28),
        (12_000_000, (4_000, 6_000), (15_000, 20_000), 33_334),  # Zhengzhou: 33,000 samplers
    ],
)
def test_sizing_follows_the_guide(population, sites, tables, samplers):
    plan = plan_round(population=population, pool_size=20)
    assert (plan.sites_min, plan.sites_max) == sites
    assert (plan.tables_min, plan.tables_max) == tables
    assert plan.samplers == samplers
    assert (plan.sites, plan.tables) == (sites[0], tables[0])  # the proposal: fewest allowed
    if population:
        # Each proposed site and table stays within the guide's maximum.
        assert population / plan.sites <= 3_000 and population / plan.tables <= 800
        assert plan.sampling_hours <= 6 and plan.sampling_target_met


def test_sampling_time_is_at_the_observed_rate():
    plan = plan_round(population=6_799, pool_size=20)
    assert plan.sampling_hours == pytest.approx(6_799 / (19 * 60), abs=0.01)
    slow = plan_round(population=6_799, pool_size=20, samplers=10)
    assert slow.sampling_hours == pytest.approx(11.33, abs=0.01)
    assert not slow.sampling_target_met and slow.samplers_needed_for_target == 19


def test_tubes_and_lab_tests_count_pools_and_environment():
    plan = plan_round(population=6_799, pool_size=20, environment_points=80)
    assert (plan.people_tubes, plan.environment_tubes, plan.tubes) == (340, 8, 348)
    assert plan.lab_tests == 348  # no positives expected by default
    single = plan_round(population=120, pool_size=1)
    assert single.tubes == single.lab_tests == 120
    risky = plan_round(population=2_000, pool_size=10, prevalence=0.01)
    # 200 pools; 200 × (1 − 0.99^10) ≈ 19.12 positive pools re-tested by 10 single tubes each.
    assert risky.lab_tests == 200 + math.ceil(200 * (1 - 0.99**10) * 10)


def test_completion_adds_transport_and_the_lab(settings):
    plan = plan_round(population=6_799, pool_size=20)
    assert plan.completion_hours == pytest.approx(5.96 + 2 + 6, abs=0.01)
    assert plan.completion_target_met
    settings.FANGKONG_LAB_TESTS_PER_HOUR = 10  # a lab that cannot keep pace
    slow_lab = plan_round(population=6_799, pool_size=20)
    assert slow_lab.lab_hours == pytest.approx(34.0)
    assert slow_lab.completion_hours == pytest.approx(34 + 2 + 6)
    assert not slow_lab.completion_target_met


def test_every_rate_is_a_setting(settings):
    assert set(planning_settings()) == set(DEFAULTS)
    settings.FANGKONG_PEOPLE_PER_SAMPLER = 300
    settings.FANGKONG_SAMPLER_RATE_PER_HOUR = 50
    plan = plan_round(population=6_000, pool_size=20)
    assert plan.samplers == 20 and plan.sampling_hours == pytest.approx(6.0)
    settings.FANGKONG_SAMPLING_TARGET_HOURS = 5
    assert not plan_round(population=6_000, pool_size=20).sampling_target_met


@pytest.mark.parametrize(
    ("prevalence", "pool_size", "expected"),
    [
        (0.01, 11, 0.195571),  # 1/11 + 1 − 0.99^11
        (0.01, 10, 0.195618),
        (0.01, 20, 0.232093),
        (0.05, 5, 0.426219),
        (0.0, 20, 0.05),
        (0.2, 1, 1.0),
    ],
)
def test_dorfman_expected_tests_per_person(prevalence, pool_size, expected):
    assert dorfman_tests_per_person(prevalence, pool_size) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("prevalence", "max_pool", "best", "individual"),
    [
        (0.01, 20, 11, False),
        (0.05, 20, 5, False),
        (0.1, 20, 4, False),
        (0.001, 20, 20, False),  # the optimum (≈32) lies past the cap of 20
        (0.001, 10, 10, False),
        (0.0, 20, 20, False),
        (0.3, 20, 3, False),  # E(3) ≈ 0.990: pooling still (barely) saves tests
        (0.35, 20, 1, True),  # E(3) ≈ 1.059: no pool beats single tubes
        (1.0, 20, 1, True),
        (0.01, 1, 1, True),
    ],
)
def test_best_pool_size(prevalence, max_pool, best, individual):
    advice = advise_pooling(prevalence=prevalence, max_pool=max_pool)
    assert advice.pool_size == best
    assert advice.individual_testing_better is individual
    if individual:
        assert advice.tests_per_person == 1.0


def test_advice_for_a_population():
    advice = advise_pooling(prevalence=0.01, population=6_799)
    assert advice.pool_size == 11 and advice.tests_per_person == pytest.approx(0.196, abs=5e-4)
    assert advice.tubes == math.ceil(6_799 / 11) == 619
    assert advice.lab_tests_expected == 1_330  # 6,799 × 0.195571
    assert [r["pool_size"] for r in advice.by_pool_size] == list(range(1, 21))
    assert advise_pooling(prevalence=0.5, population=100).lab_tests_expected == 100


def test_dilution_warning():
    assert ct_shift(20) == pytest.approx(4.32, abs=0.01)
    assert ct_shift(2) == 1 and ct_shift(1) == 0
    advice = advise_pooling(prevalence=0.0001)
    assert advice.pool_size == 20 and advice.ct_shift_cycles == pytest.approx(4.32, abs=0.01)
    assert "4.3" in advice.warnings[0] and "20" in advice.warnings[1]
    assert advise_pooling(prevalence=0.6).ct_shift_cycles == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"prevalence": -0.01}, "prevalence"),
        ({"prevalence": 1.01}, "prevalence"),
        ({"prevalence": float("nan")}, "prevalence"),
        ({"prevalence": 0.01, "max_pool": 0}, "max_pool"),
        ({"prevalence": 0.01, "max_pool": 21}, "max_pool"),
        ({"prevalence": 0.01, "population": -1}, "population"),
    ],
)
def test_bad_advisor_input_names_the_option(kwargs, field):
    with pytest.raises(PoolingInputError) as exc:
        advise_pooling(**kwargs)
    assert exc.value.field == field
    assert "--" + field.replace("_", "-") in str(exc.value)
