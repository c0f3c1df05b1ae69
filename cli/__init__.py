"""The ``cpp-assistant`` command: build and inspect the index, show an article, ask a question, serve, evaluate.

It is an entry point and only that: it parses the arguments, reads the settings once and dispatches to the function
each sub-command names (``set_defaults(func=…)``); the work lives in ``indexing``, ``assistant``, ``evals`` and ``ui``.
Every domain error is printed as a French sentence with a non-zero exit code, never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from assistant.errors import AssistantError
from assistant.models import Unit, format_date_fr
from assistant.normalize import normalize_input
from assistant.settings import PROJECT_ROOT, Settings


def _print_unit(unit: Unit, doc_title: str) -> None:
    status = "ABROGÉ — ancienne rédaction, ce texte n'est plus en vigueur" if unit.abrogated else "en vigueur"
    if unit.unverified:
        status += " — NUMÉRO NON VÉRIFIÉ (absent des tables de référence)"
    print(f"{unit.title} — {doc_title}")
    if unit.hierarchy:
        print(" > ".join(unit.hierarchy))
    version = f"version en vigueur au {format_date_fr(unit.version_date)}" if unit.version_date else "version non précisée"
    print(f"Statut : {status} ; {version} ; lignes {unit.line_start}-{unit.line_end} du fichier source")
    if unit.confidence is not None and not unit.abrogated:
        print(f"Confiance de la numérotation : {unit.confidence:.2f}")
    print()
    print(unit.text)
    if unit.notes:
        print()
        print("Notes :")
        for note in unit.notes:
            print(f"  - {note}")


def cmd_index_build(settings: Settings, args: argparse.Namespace) -> int:
    from indexing.build import build_index

    result = build_index(settings, progress=not args.quiet)
    state = result.state
    if result.up_to_date:
        print(f"Index à jour ({state.chunk_count} chunks, modèle {state.model}) : rien à ré-encoder.")
    else:
        print(
            f"Index construit en {state.build_seconds:.1f} s : {state.chunk_count} chunks, "
            f"{result.embedded} encodés, {result.reused} repris de l'index précédent."
        )
    report = result.report
    if report.unverified:
        print("Numéros non vérifiés (signalés comme tels) : " + ", ".join(a for _, a in report.unverified))
    if report.low_confidence:
        print("Numéros attribués avec une confiance faible : " + ", ".join(f"{a} ({c:.2f})" for _, a, c in report.low_confidence))
    removed = {d: len(lines) for d, lines in report.dropped_lines.items() if lines}
    if removed:
        print("Lignes retirées du texte (liens, mailto, artefacts web) : " + ", ".join(f"{d} : {n}" for d, n in removed.items()))
    return cmd_index_status(settings, args)


def cmd_index_gc(settings: Settings, args: argparse.Namespace) -> int:
    from indexing.build import gc_index

    grace = None if args.grace_minutes is None else args.grace_minutes * 60.0
    result = gc_index(settings, grace)
    print(f"Collections remplacées supprimées : {len(result.deleted)} ; gardées pendant leur délai de grâce : {len(result.kept)}.")
    return 0


def cmd_index_status(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.store import open_index

    index = open_index(settings)
    state = index.state
    print(f"Index : collection {state.collection} ({state.chroma})")
    print(f"Modèle d'embedding : {state.model} (dimension {state.dimension})")
    print(f"Construit le : {state.built_at} en {state.build_seconds:.1f} s ; chunks : {index.collection.count()}")
    print("Unités par document :")
    for doc in index.catalog.documents:
        units = index.catalog.units_of(doc.doc_id)
        abrogated = sum(u.abrogated for u in units)
        extra = f" dont {abrogated} blocs abrogés" if abrogated else ""
        print(f"  - {doc.doc_id} : {len(units)} unités{extra} (version {doc.version_label})")
    print(f"Pôles de l'instruction (art. D15-4-4) : {len(index.catalog.poles)} lignes")
    return 0


def cmd_show(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.store import open_index

    catalog = open_index(settings).catalog
    args.ref = normalize_input(args.ref)
    found = catalog.units_for_article(args.ref)
    if not found:
        catalog.article(args.ref)  # raises UnknownArticleError with near matches
    for i, unit in enumerate(found):
        if i:
            print("\n" + "-" * 60 + "\n")
        _print_unit(unit, catalog.document(unit.doc_id).title)
    return 0


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.compose import load_assistant

    answer = load_assistant(settings).ask(normalize_input(args.question))
    if answer.refused:
        print("[Pas de réponse dans le corpus]")
    print(answer.answer)
    sources = [c for c in answer.citations if c.role == "source"]
    if sources:
        print("\nCitations :")
        for c in sources:
            print(f"  - {c.label()}")
    print(f"\n({answer.timings_ms.get('total', 0):.0f} ms)")
    return 0


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from evals.run import run_evaluation

    return run_evaluation(
        settings, args.questions, out=args.out, name=args.name, api_url=args.api_url, api_key=args.api_key,
        baselines=args.baselines, limit=args.limit, progress=not args.quiet,
    )


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from assistant.api.middleware import LOG_CONFIG
    from assistant.audit import audit_db_path

    host = args.host
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{args.port}"
    print(f"API : {base}/docs (OpenAPI : {base}/openapi.json)")
    if settings.ui_enabled:
        print(f"Chat : {base}/ui/")
    print(f"État : {base}/health")
    auth = f"{len(settings.api_key_hashes)} clé(s) d'API configurée(s)" if settings.api_key_hashes else "accès ouvert (aucune clé d'API)"
    where = "PostgreSQL (CPP_ASSISTANT_DATABASE_URL)" if settings.database_url else str(audit_db_path(settings))
    print(f"Authentification : {auth} ; journal d'audit : {where} (questions : {settings.audit_questions})")
    sys.stdout.flush()
    uvicorn.run(
        "ui.app:create_server_app", factory=True, host=host, port=args.port, workers=args.workers,
        log_config=LOG_CONFIG, access_log=False, proxy_headers=args.proxy_headers, timeout_graceful_shutdown=10,
    )
    return 0


def cmd_audit_export(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.audit import AuditLog, normalize_since

    if args.since:
        try:
            normalize_since(args.since)
        except ValueError as exc:
            print(f"Erreur : --since : {exc}.", file=sys.stderr)
            return 2
    audit = AuditLog.from_settings(settings)
    if audit.backend == "sqlite" and not audit.path.is_file():
        print(f"Erreur : aucun journal d'audit à {audit.path}.", file=sys.stderr)
        return 2
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            n = audit.export(out, args.format, args.table, args.since)
        print(f"{n} enregistrement(s) exporté(s) dans {args.output}.", file=sys.stderr)
    else:
        n = audit.export(sys.stdout, args.format, args.table, args.since)
        print(f"{n} enregistrement(s) exporté(s).", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cpp-assistant", description="Assistant de procédure pénale (CPP, circulaires).")
    sub = parser.add_subparsers(dest="command", required=True)
    index = sub.add_parser("index", help="Construire ou inspecter l'index.")
    index_sub = index.add_subparsers(dest="index_command", required=True)
    build = index_sub.add_parser("build", help="Construire l'index (incrémental, atomique).")
    build.set_defaults(func=cmd_index_build)
    build.add_argument("--quiet", action="store_true", help="Sans barre de progression.")
    index_sub.add_parser("status", help="État de l'index : unités par document, modèle, date de construction.").set_defaults(func=cmd_index_status)
    gc = index_sub.add_parser("gc", help="Supprimer les collections remplacées dont le délai de grâce est passé.")
    gc.set_defaults(func=cmd_index_gc)
    gc.add_argument("--grace-minutes", type=float, help="Délai de grâce en minutes (défaut : CPP_ASSISTANT_INDEX_GC_GRACE_S).")
    show = sub.add_parser("show", help="Afficher un article (ex. : 706-88, D15-4-4).")
    show.set_defaults(func=cmd_show)
    show.add_argument("ref")
    ask = sub.add_parser("ask", help="Poser une question ; la réponse cite le corpus.")
    ask.set_defaults(func=cmd_ask)
    ask.add_argument("question")
    ev = sub.add_parser("eval", help="Évaluer sur un jeu de questions (en processus ou via l'API).")
    ev.set_defaults(func=cmd_eval)
    ev.add_argument("--questions", type=Path, default=PROJECT_ROOT / "evals" / "questions.jsonl")
    ev.add_argument("--api-url", help="Évaluer un serveur en marche (ex. http://127.0.0.1:8000).")
    ev.add_argument("--api-key", help="Clé d'API du serveur évalué.")
    ev.add_argument("--baselines", action="store_true", help="Mesurer aussi les références dense seule et BM25 seul.")
    ev.add_argument("--limit", type=int, default=0, help="N'évaluer que les N premières questions.")
    ev.add_argument("--out", type=Path, default=PROJECT_ROOT / "evals" / "reports")
    ev.add_argument("--name", default="eval-latest", help="Nom des rapports (sans extension).")
    ev.add_argument("--quiet", action="store_true", help="Sans barre de progression.")
    serve = sub.add_parser("serve", help="Servir l'API HTTP et la page de chat (uvicorn).")
    serve.set_defaults(func=cmd_serve)
    serve.add_argument("--host", default="127.0.0.1", help="Adresse d'écoute (défaut : 127.0.0.1 ; 0.0.0.0 pour le réseau).")
    serve.add_argument("--port", type=int, default=8000, help="Port (défaut : 8000).")
    serve.add_argument("--workers", type=int, default=1, help="Processus (chacun charge l'index et le modèle).")
    serve.add_argument("--proxy-headers", action="store_true", help="Faire confiance aux en-têtes X-Forwarded-* (derrière un proxy).")
    audit = sub.add_parser("audit", help="Journal d'audit des requêtes et avis des utilisateurs.")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    export = audit_sub.add_parser("export", help="Exporter le journal d'audit (ou les avis) en JSON Lines ou CSV.")
    export.set_defaults(func=cmd_audit_export)
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--since", help="Seulement à partir de cette date (AAAA-MM-JJ ou AAAA-MM-JJTHH:MM, UTC).")
    export.add_argument("--table", choices=["audit", "feedback"], default="audit", help="« audit » (requêtes) ou « feedback » (avis).")
    export.add_argument("--output", type=Path, help="Fichier de sortie (défaut : sortie standard).")
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        return int(args.func(settings, args))
    except AssistantError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

