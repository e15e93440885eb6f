"""Notification channels behind one interface: a signed webhook, and an SMS/voice gateway.

Webhook requests carry `X-SPS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
(the receiver recomputes it and rejects stale timestamps) and `X-SPS-Delivery`, unique per
notification, so a receiver can drop the rare redelivery.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Protocol

import httpx
import orjson


class DeliveryError(Exception):
    pass


class Channel(Protocol):
    name: str

    @property
    def targets(self) -> list[str] | None: ...  # None: every target

    async def deliver(self, delivery_id: int, payload: dict) -> None: ...


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, tolerance_s: int = 300, now: float | None = None) -> bool:
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


@dataclass
class WebhookChannel:
    name: str
    url: str
    secret: str
    targets: list[str] | None = None
    timeout_s: float = 5.0

    async def deliver(self, delivery_id: int, payload: dict) -> None:
        body = orjson.dumps(payload)
        headers = {
            "content-type": "application/json",
            "X-SPS-Delivery": str(delivery_id),
            "X-SPS-Signature": sign(self.secret, int(time.time()), body),
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.name}: {exc!r}") from None
        if response.status_code >= 300:
            raise DeliveryError(f"{self.name}: HTTP {response.status_code}")


@dataclass
class SmsGatewayChannel:
    """An SMS/voice gateway's HTTP API: POST {"to": [...], "text": "...", "voice": bool}."""

    name: str
    url: str
    token: str
    recipients: dict[str, list[str]]  # target → phone numbers
    voice_for: tuple[str, ...] = ("red",)
    timeout_s: float = 5.0

    @property
    def targets(self) -> list[str]:
        return list(self.recipients)

    async def deliver(self, delivery_id: int, payload: dict) -> None:
        alert = payload["alert"]
        text = (
            f"【江阴特殊人群监管】{alert['title_zh']}（{alert['jurisdiction']}，{alert['colour']}，{payload['step']}）"
        )
        body = {
            "to": self.recipients.get(payload["target"], []),
            "text": text,
            "voice": alert["colour"] in self.voice_for,
            "reference": str(delivery_id),
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.post(self.url, json=body, headers={"Authorization": f"Bearer {self.token}"})
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.name}: {exc!r}") from None
        if response.status_code >= 300:
            raise DeliveryError(f"{self.name}: HTTP {response.status_code}")


def channels_from_settings(webhooks_json: str | None, sms_json: str | None) -> list[Channel]:
    """`SPS_ALERT_WEBHOOKS`: [{"name", "url", "secret", "targets"?}];
    `SPS_ALERT_SMS`: {"url", "token", "recipients": {target: [phone]}}."""
    out: list[Channel] = []
    for item in orjson.loads(webhooks_json) if webhooks_json else []:
        out.append(WebhookChannel(item["name"], item["url"], item["secret"], item.get("targets")))
    if sms_json:
        sms = orjson.loads(sms_json)
        out.append(SmsGatewayChannel("sms", sms["url"], sms["token"], sms["recipients"]))
    return out
