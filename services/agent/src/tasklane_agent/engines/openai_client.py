"""A small client of the OpenAI chat-completions API, as any OpenAI-compatible server speaks it.

Only what the LLM engine needs: ``POST {url}/chat/completions`` with messages and tools, one answer
back (text or tool calls). A full SDK (or pydantic-ai) would add a large dependency surface for one
endpoint (reference/nlu-offline.md, B2).

Failures form a small tree so callers can tell "try again later" from "this answer is unusable":

- ``LlmUnavailable``: no connection, timeout, HTTP 5xx or 429 (the server is down or overloaded);
- ``LlmBadResponse``: any other HTTP error (a wrong key, an unknown model) or a body that is not a
  chat completion.

The API key goes in the ``Authorization`` header and nowhere else: error messages are built from
status codes and server messages with the key scrubbed, never from the request.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import SecretStr

ToolChoice = Literal["auto", "none"]
_MAX_ERROR_TEXT = 200


class LlmError(Exception):
    """The model could not be asked, or its answer cannot be used."""


class LlmUnavailable(LlmError):
    """Connection refused/reset, timeout, HTTP 5xx or 429."""


class LlmBadResponse(LlmError):
    """An HTTP error other than an outage, or an answer that is not a chat completion."""


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it (it may be malformed)


@dataclass(frozen=True)
class Completion:
    content: str | None
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str | None

    def as_message(self) -> dict[str, Any]:
        """The assistant message to send back with the tool results, in the API's own shape."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in self.tool_calls
            ]
        return message


class ChatClient:
    """One endpoint and model. ``http`` is shared and owned (closed) by the caller."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        url: str,
        model: str,
        api_key: SecretStr | None = None,
        timeout_s: float = 8.0,
        temperature: float = 0.0,
    ) -> None:
        self._http = http
        self.endpoint = url.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout_s = timeout_s
        self.temperature = temperature
        self._key = api_key.get_secret_value() if api_key is not None else ""
        self._headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}

    async def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        tool_choice: ToolChoice = "auto",
        timeout_s: float | None = None,
    ) -> Completion:
        """One completion. ``timeout_s`` (default: the client's) bounds the whole call, not
        each phase: httpx's own timeouts would let a server that drips bytes run on."""
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": self.temperature}
        if tools:
            body["tools"] = tools
            body["tool_choice"] = tool_choice
        limit = self.timeout_s if timeout_s is None else timeout_s
        try:
            async with asyncio.timeout(limit):
                response = await self._http.post(
                    self.endpoint, json=body, headers=self._headers, timeout=limit
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise LlmUnavailable(f"no answer within {limit:g}s ({type(exc).__name__})") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            # Connection errors, and a malformed URL in the settings: either way no answer comes.
            raise LlmUnavailable(f"cannot reach the model ({type(exc).__name__})") from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise LlmUnavailable(f"HTTP {status}: {self._error_text(response)}")
        if not response.is_success:
            raise LlmBadResponse(f"HTTP {status}: {self._error_text(response)}")
        try:
            payload = response.json()
        except ValueError:
            raise LlmBadResponse("the answer is not JSON") from None
        return parse_completion(payload)

    def _error_text(self, response: httpx.Response) -> str:
        """The server's own error message, short and without the key (some servers echo it)."""
        if response.status_code in (401, 403):
            return "the endpoint refused the API key"
        try:
            error = response.json().get("error")
            text = error.get("message") if isinstance(error, dict) else error
        except (ValueError, AttributeError):
            text = response.text
        text = str(text or response.reason_phrase)[:_MAX_ERROR_TEXT]
        return text.replace(self._key, "***") if self._key else text


def parse_completion(payload: Any) -> Completion:
    """The first choice of a chat completion. Arguments given as an object (some local servers
    do) are turned back into JSON text, which is what the API specifies."""
    try:
        choice = payload["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError):
        raise LlmBadResponse("the answer has no choices[0].message") from None
    if not isinstance(message, dict):
        raise LlmBadResponse("choices[0].message is not an object")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise LlmBadResponse("the message content is not text")
    calls: list[ToolCall] = []
    for index, raw in enumerate(message.get("tool_calls") or ()):
        function = raw.get("function") if isinstance(raw, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise LlmBadResponse("a tool call without a function name")
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments if arguments is not None else {})
        call_id = raw.get("id") if isinstance(raw.get("id"), str) and raw.get("id") else f"call_{index}"
        calls.append(ToolCall(call_id, function["name"], arguments))
    finish = choice.get("finish_reason") if isinstance(choice, dict) else None
    return Completion(content, tuple(calls), finish if isinstance(finish, str) else None)
