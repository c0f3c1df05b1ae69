"""Load the corpus manifest and the source files, refusing any file that is missing or altered."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import CorpusError
from assistant.models import DocumentInfo

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class SourceFile:
    """A corpus document with its raw text, split in lines (1-based numbering = index + 1)."""

    info: DocumentInfo
    path: Path
    text: str

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def load_manifest(corpus_dir: Path) -> list[DocumentInfo]:
    path = corpus_dir / MANIFEST
    if not path.is_file():
        raise CorpusError(f"Manifeste du corpus introuvable : {path}")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        return [DocumentInfo(**d) for d in payload["documents"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise CorpusError(f"Manifeste du corpus illisible ({path}) : {exc}") from exc


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_sources(corpus_dir: Path) -> list[SourceFile]:
    """Read every document of the manifest after checking its sha256; any problem is a ``CorpusError``."""
    sources = []
    for info in load_manifest(corpus_dir):
        path = corpus_dir / info.file
        if not path.is_file():
            raise CorpusError(f"Fichier du corpus manquant : {path} (document « {info.doc_id} »).")
        digest = sha256_of(path)
        if digest != info.sha256:
            raise CorpusError(
                f"Fichier du corpus modifié : {path} (sha256 {digest[:12]}… au lieu de {info.sha256[:12]}… "
                "attendu par le manifeste). Restaurez le document d'origine ou mettez le manifeste à jour."
            )
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise CorpusError(f"Fichier du corpus non UTF-8 : {path} (octet {exc.start}).") from exc
        sources.append(SourceFile(info=info, path=path, text=text.replace("\r\n", "\n")))
    return sources


def corpus_hash(sources: list[SourceFile]) -> str:
    """One hash for the whole corpus (documents' hashes in manifest order)."""
    h = hashlib.sha256()
    for s in sources:
        h.update(f"{s.info.doc_id}:{s.info.sha256}\n".encode())
    return h.hexdigest()
