"""Every page carries a Content-Security-Policy that allows no inline script."""

from pathlib import Path

import pytest
from django.urls import reverse

TEMPLATES = Path(__file__).resolve().parents[2]


def test_pages_send_a_policy_without_inline_script(client, commander):
    client.force_login(commander)
    for url in (
        reverse("accounts:login"),
        reverse("people:list"),
        reverse("areas:node", args=["410172"]),
    ):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert "'unsafe-inline'" not in directives["script-src"], url
        assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("template", sorted(TEMPLATES.glob("**/templates/**/*.html")), ids=str)
def test_no_template_has_an_inline_handler_script_or_style_without_nonce(template):
    text = template.read_text()
    assert " onclick=" not in text and " onsubmit=" not in text and " onchange=" not in text
    for tag in text.split("<script")[1:]:
        opening = tag.split(">", 1)[0]
        assert "src=" in opening or 'type="application/json"' in opening, template
    for tag in text.split("<style")[1:]:
        assert tag.startswith(' nonce="{{ csp_nonce }}">'), template
