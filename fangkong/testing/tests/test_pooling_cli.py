"""`fangkong pooling advise`: the JSON keys, the plain output and the refusals."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

ROOT = Path(__file__).resolve().parents[3]
KEYS = {"pool_size", "tests_per_person", "tubes", "lab_tests_expected", "individual_testing_better"}


def advise(*args: str) -> str:
    out = io.StringIO()
    call_command("pooling", "advise", *args, stdout=out)
    return out.getvalue()


def test_json_has_the_documented_keys():
    data = json.loads(advise("--prevalence", "0.01", "--population", "6799", "--json"))
    assert set(data) >= KEYS | {"warnings"}
    assert data["pool_size"] == 11 and data["tests_per_person"] == pytest.approx(0.196, abs=5e-4)
    assert (data["tubes"], data["lab_tests_expected"]) == (619, 1330)
    assert data["individual_testing_better"] is False


def test_json_without_population_and_when_single_tubes_win():
    data = json.loads(advise("--prevalence", "40%", "--max-pool", "10", "--json"))
    assert data["pool_size"] == 1 and data["individual_testing_better"] is True
    assert data["tubes"] is None and data["lab_tests_expected"] is None
    capped = json.loads(advise("--prevalence", "0.001", "--max-pool", "10", "--json"))
    assert capped["pool_size"] == 10


def test_plain_output_names_the_pool():
    text = advise("--prevalence", "0.01", "--population", "1000")
    assert "11" in text and "!" in text  # the dilution warning is printed


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--prevalence", "1.5"], "--prevalence"),
        (["--prevalence", "-0.1"], "--prevalence"),
        (["--prevalence", "abc"], "--prevalence"),
        (["--prevalence", "0.01", "--max-pool", "0"], "--max-pool"),
        (["--prevalence", "0.01", "--max-pool", "21"], "--max-pool"),
        (["--prevalence", "0.01", "--max-pool", "x"], "--max-pool"),
        (["--prevalence", "0.01", "--population", "-5"], "--population"),
    ],
)
def test_bad_input_is_refused_naming_the_option(args, option):
    with pytest.raises(CommandError) as exc:
        advise(*args, "--json")
    assert option in str(exc.value)


def test_messages_are_in_the_site_language(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("zh-hans"):
        with pytest.raises(CommandError) as exc:
            advise("--prevalence", "2")
        # The command speaks the site's language (zh-hans by default), not the caller's.
        assert translation.get_language() == "en"
    assert str(exc.value) == "--prevalence must lie between 0 and 1."


def test_the_fangkong_command_exits_non_zero(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGKONG_")}
    env["FANGKONG_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "fangkong.cli", "pooling", "advise", "--prevalence", "7", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "--prevalence" in result.stderr and result.stdout == ""
