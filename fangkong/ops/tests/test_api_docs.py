"""/api/docs works offline: Swagger UI comes from our own static files, never a CDN."""

import re

from django.contrib.staticfiles import finders


def test_the_api_docs_load_swagger_from_this_server(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    body = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', body)
    assert any(s.endswith("swagger-ui-bundle.js") for s in sources)
    assert [s for s in sources if s.startswith(("http:", "https:", "//"))] == []
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source
