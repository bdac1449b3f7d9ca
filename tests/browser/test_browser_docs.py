"""Each service's ``/docs`` renders Swagger UI with no internet: its script and styles come from
the service itself, and the page asks no other origin for anything."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from browser_helpers import offline_context, serving
from playwright.async_api import Browser, expect

sys.path.insert(0, str(Path(__file__).parents[1] / "services"))
from services_apps import SERVICES


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_docs_render_swagger_ui_offline(browser: Browser, run_id: str, service: str) -> None:
    # /docs and /openapi.json need neither broker nor database: the app is served unstarted.
    app = SERVICES[service](run_id)
    async with serving(app, lifespan=False) as origin, offline_context(browser, origin) as (context, seen):
        page = await context.new_page()
        response = await page.goto("/docs")
        assert response is not None
        assert response.ok
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text(f"Tasklane {service}")
        # The operations are listed (the spec was fetched and rendered, not just the shell).
        await expect(page.locator(".opblock").first).to_be_visible()
        assert seen.elsewhere == []
        assert seen.errors == []
        assert f"{origin}/docs/assets/swagger-ui-bundle.js" in seen.requests
        assert "script-src 'self'" in response.headers["content-security-policy"]
