"""What a tool result says, written once: its title, its lines in order (point de départ, échéances, steps, warnings,
competent authorities, pôle) and the references of their basis.

``tool_view`` is the one reading of a result's structure and the one place of its shared wording; the answer's
Markdown and « Réponse » line (``router.describe_result``, ``router.tool_headline``), the chat's HTML card and the
plain-text copy (``ui.render``) are laid out from it, each in its own medium.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.tools import DELAI, JURIDICTION_SPECIALISEE, POLE_INSTRUCTION
from assistant.tools.rules import basis_ref


def refs(basis: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> str:
    """The references of a basis, once each, in order: « CPP, art. 706-88 ; CPP, art. 706-88-1 »."""
    return " ; ".join(dict.fromkeys(basis_ref(b) for b in basis))


@dataclass(frozen=True)
class DeadlineLine:
    id: str
    label: str
    condition: str | None
    kind_label: str  # « au plus tard », « à compter du »…
    display: str  # the date in words
    refs: str

    @property
    def labelled(self) -> str:
        """The label with its condition: « Prolongation [sur décision du JLD] »."""
        return self.label + (f" [{self.condition}]" if self.condition else "")

    @property
    def when(self) -> str:
        return f"{self.kind_label} le {self.display}"


@dataclass(frozen=True)
class AuthorityLine:
    authorities: str
    nature_label: str
    role: str
    detail: str
    refs: str


@dataclass(frozen=True)
class ToolView:
    name: str
    title: str  # one line naming the result (the chat's card, the copy)
    label: str = ""
    start: str | None = None  # « Point de départ (début de la garde à vue) : … »
    main: DeadlineLine | None = None
    deadlines: tuple[DeadlineLine, ...] = ()  # every deadline, the main one included
    steps: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    summary: str = ""
    authorities: tuple[AuthorityLine, ...] = ()
    notes: tuple[str, ...] = ()
    tribunal: str | None = None  # pôle: the tribunal asked about, or None when the pôle's ressort is listed
    pole: str = ""
    cour_appel: str = ""
    tribunaux: tuple[str, ...] = ()
    basis: tuple[dict[str, Any], ...] = ()

    @property
    def refs(self) -> str:
        return refs(self.basis)

    @property
    def others(self) -> tuple[DeadlineLine, ...]:
        """The deadlines besides the main one."""
        return tuple(d for d in self.deadlines if self.main is None or d.id != self.main.id)


def _deadline(d: dict[str, Any]) -> DeadlineLine:
    return DeadlineLine(d["id"], d["label"], d.get("condition") or None, d["kind_label"], d["display"], refs(d.get("basis", [])))


def tool_view(name: str, result: dict[str, Any]) -> ToolView:
    """The lines of a tool result (``run_tool``'s output), ready to lay out."""
    basis = tuple(result.get("basis", []))
    if name == DELAI:
        start = result.get("start")
        main = result.get("deadline")
        return ToolView(
            name, f"Calcul du délai : {result.get('label', '')}", label=result.get("label", ""),
            start=f"Point de départ ({start['event']}) : {start['display']}" if start else None,
            main=_deadline(main) if main is not None else None,
            deadlines=tuple(_deadline(d) for d in result.get("deadlines", [])),
            steps=tuple(result.get("steps") or ()), warnings=tuple(result.get("warnings") or ()), basis=basis,
        )
    if name == POLE_INSTRUCTION:
        return ToolView(
            name, f"Pôle de l'instruction : {result.get('pole', '')}", tribunal=result.get("tribunal"),
            pole=result.get("pole", ""), cour_appel=result.get("cour_appel", ""),
            tribunaux=tuple(result.get("tribunaux", [])), basis=basis,
        )
    if name == JURIDICTION_SPECIALISEE:
        return ToolView(
            name, f"Juridictions compétentes : {result.get('label', '')}", label=result.get("label", ""),
            summary=result.get("summary", ""), notes=tuple(result.get("notes") or ()), basis=basis,
            authorities=tuple(
                AuthorityLine(a["authorities"], a["nature_label"], a["role"], a["detail"], refs(a.get("basis", [])))
                for a in result.get("authorities", [])
            ),
        )
    return ToolView(name, f"Résultat de l'outil « {name} »", basis=basis)
