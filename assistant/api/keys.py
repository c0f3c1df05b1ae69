"""API keys: only their SHA-256 fingerprints are configured; a helper creates a key or fingerprints one.

    python -m assistant.api.keys            # new random key + its fingerprint
    python -m assistant.api.keys --hash     # fingerprint of a key typed on stdin (not echoed)
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import secrets
import sys


def hash_key(key: str) -> str:
    """SHA-256 fingerprint (hex) of an API key, as configured in ``CPP_ASSISTANT_API_KEY_HASHES``."""
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def key_id(fingerprint: str) -> str:
    """The short identifier of a key written to the audit log: the first 8 hex digits of its fingerprint."""
    return fingerprint[:8]


def match_key(presented: str, fingerprints: list[str]) -> str | None:
    """The fingerprint the presented key matches, or None. Every comparison is constant-time and all are made."""
    digest = hash_key(presented)
    found = None
    for fp in fingerprints:
        if hmac.compare_digest(digest, fp):
            found = fp
    return found


def new_key() -> str:
    return "cppa_" + secrets.token_urlsafe(32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.api.keys",
        description="Crée une clé d'API et affiche l'empreinte SHA-256 à mettre dans CPP_ASSISTANT_API_KEY_HASHES.",
    )
    parser.add_argument("--hash", action="store_true", help="Calculer l'empreinte d'une clé existante (lue au clavier ou sur l'entrée standard).")
    args = parser.parse_args(argv)
    if args.hash:
        key = getpass.getpass("Clé : ") if sys.stdin.isatty() else sys.stdin.readline()
        if not key.strip():
            print("Erreur : clé vide.", file=sys.stderr)
            return 2
        print(hash_key(key))
        return 0
    key = new_key()
    print(f"Clé (à remettre au client, elle n'est stockée nulle part) : {key}")
    print(f"Empreinte (à ajouter à CPP_ASSISTANT_API_KEY_HASHES) : {hash_key(key)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
