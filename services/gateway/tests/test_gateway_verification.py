"""Meta's subscription handshake: GET /api/webhooks/whatsapp."""

from __future__ import annotations

from gateway_harness import VERIFY_TOKEN, WEBHOOK, Gateway, serving

from tasklane_common.testing import real_settings
from tasklane_gateway.settings import GatewaySettings


def _params(token: str, mode: str = "subscribe", challenge: str = "1158201444") -> dict[str, str]:
    return {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge}


async def test_the_right_token_gets_the_raw_challenge_back(gateway: Gateway) -> None:
    response = await gateway.client.get(WEBHOOK, params=_params(VERIFY_TOKEN))

    assert response.status_code == 200
    # Exactly the bytes Meta sent: no JSON quotes, no number conversion.
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")
    odd = await gateway.client.get(WEBHOOK, params=_params(VERIFY_TOKEN, challenge="0042-abc"))
    assert odd.text == "0042-abc"


async def test_a_wrong_token_or_mode_is_forbidden(gateway: Gateway) -> None:
    for params in (
        _params("not-the-token"),
        _params(VERIFY_TOKEN, mode="unsubscribe"),
        _params(""),
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {},
    ):
        response = await gateway.client.get(WEBHOOK, params=params)
        assert response.status_code == 403, params
        assert "1158201444" not in response.text


async def test_without_a_configured_token_verification_fails_closed(module_run_id: str) -> None:
    settings = real_settings(GatewaySettings, module_run_id, "gateway", verify_token=None)
    async with serving(settings) as unconfigured:
        for token in (VERIFY_TOKEN, "", "None"):
            response = await unconfigured.client.get(WEBHOOK, params=_params(token))
            assert response.status_code == 403
