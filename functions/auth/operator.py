"""Operator tokens: ordinary ES256 access tokens that carry the operator role.

The authorizer lets a request under `/admin/` through only with a token whose `roles` claim
holds `operator` (anyone else gets a 404, so the operator surface does not show), and names
the caller upstream in `x-operator`. Operators get a token from `eco2 operator-token` (signed
with the configured key); an embedded mesh, whose key lives only as long as the process,
writes one for `operator:local` to the local credential file at start.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import uuid
from pathlib import Path

from functions.auth.keys import KeyRing
from functions.auth.model import ACCESS, Claims
from functions.auth.tokens import TokenService
from functions.kit.settings import Settings

OPERATOR_ROLE = "operator"
OPERATOR_PROVIDER = "operator"
SUBJECT_PREFIX = "operator:"
DEFAULT_CREDENTIAL = "~/.local/state/eco2/operator-token"
LOCAL_OPERATOR = "local"
LOCAL_TTL_S = 24 * 3600
MAX_TTL_S = 30 * 24 * 3600  # an operator token is revocable by sid, but should not live forever
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


def mint_operator(tokens: TokenService, name: str, ttl_s: int) -> str:
    """An access token for `operator:<name>`, in a session of its own, living `ttl_s`."""
    if not _NAME.fullmatch(name):
        raise ValueError(
            "an operator name is 1-64 characters: letters, digits, '.', '_', '@', '-' "
            "(starting with a letter or digit)"
        )
    if not 0 < ttl_s <= MAX_TTL_S:
        raise ValueError(f"an operator token lives 1..{MAX_TTL_S} seconds")
    iat = int(time.time())
    claims = Claims(
        sub=SUBJECT_PREFIX + name,
        jti=str(uuid.uuid4()),
        sid=str(uuid.uuid4()),
        type=ACCESS,
        provider=OPERATOR_PROVIDER,
        iat=iat,
        nbf=iat,
        exp=iat + ttl_s,
    )
    return tokens.mint(claims, {"roles": [OPERATOR_ROLE]})


def operator_tokens(keyring: KeyRing, settings: Settings) -> TokenService:
    """The token service of the auth functions, for minting outside them (CLI, local mesh)."""
    return TokenService(
        keyring,
        settings.jwt_issuer,
        settings.jwt_audience,
        settings.access_ttl_s,
        settings.refresh_ttl_s,
    )


def issue_local_credential(keyring: KeyRing, settings: Settings, ttl_s: int = LOCAL_TTL_S) -> Path:
    """A running mesh's token for `operator:local`, written where `eco2` looks for one."""
    token = mint_operator(operator_tokens(keyring, settings), LOCAL_OPERATOR, ttl_s)
    return write_local_credential(credential_path(settings.operator_token_file), token)


def credential_path(configured: str | None) -> Path:
    """Where the local operator credential lives (`ECO2_OPERATOR_TOKEN_FILE`, else the
    default under the user's state directory)."""
    return Path(configured or DEFAULT_CREDENTIAL).expanduser()


def write_local_credential(path: Path, token: str) -> Path:
    """Write `token` to `path` readable by its owner only (0600), atomically: a reader sees
    the old token or the new one, never a torn or briefly world-readable file."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:  # mkstemp creates it 0600
            out.write(token + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_local_credential(path: Path) -> str | None:
    """The token in the credential file, or None when there is none."""
    try:
        token = path.expanduser().read_text(encoding="ascii").strip()
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return None
    return token or None
