"""A small OpenID Connect provider for tests: discovery, keys, an authorisation step that says
who signed in, and a token endpoint that checks the client, the code and PKCE before it signs an
ID token. It stands in for the bureau's own provider; it is not Kafka or PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey

ISSUER = "https://idp.example"


class Provider:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "idp-1", "use": "sig", "alg": "RS256"})
        self.codes: dict[str, dict[str, Any]] = {}
        self.tamper: dict[str, Any] = {}  # claims a test wants wrong in the next ID token
        self.app = self._app()

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, Any]:
            return {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/authorize",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            return {"keys": [self.key.as_dict(private=False)]}

        @app.get("/authorize")
        def authorize(
            client_id: str,
            redirect_uri: str,
            state: str,
            nonce: str,
            code_challenge: str,
            code_challenge_method: str,
            login_as: str = Query(...),  # stands for the person signing in at the provider's page
        ) -> RedirectResponse:
            assert client_id == self.client_id and code_challenge_method == "S256"
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"user": login_as, "nonce": nonce, "challenge": code_challenge, "redirect": redirect_uri}
            return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=302)

        @app.post("/token")
        async def token(request: Request, authorization: str = Header(...)) -> dict[str, Any]:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            grant_type, code = form.get("grant_type"), form.get("code", "")
            code_verifier, redirect_uri = form.get("code_verifier", ""), form.get("redirect_uri")
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if authorization != f"Basic {expected}":
                raise HTTPException(401, "invalid_client")
            grant = self.codes.pop(code, None)
            if grant_type != "authorization_code" or grant is None or grant["redirect"] != redirect_uri:
                raise HTTPException(400, "invalid_grant")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=")
            if challenge.decode() != grant["challenge"]:
                raise HTTPException(400, "invalid_grant: PKCE")
            now = int(time.time())
            key = self.tamper.pop("_key", self.key)
            claims = {
                "iss": ISSUER,
                "aud": self.client_id,
                "sub": f"idp-{grant['user']}",
                "preferred_username": grant["user"],
                "nonce": grant["nonce"],
                "iat": now,
                "exp": now + 300,
                **self.tamper,
            }
            self.tamper.clear()
            id_token = jwt.encode({"alg": "RS256", "kid": "idp-1"}, claims, key)
            return {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }

        return app
