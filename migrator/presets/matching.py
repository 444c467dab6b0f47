"""Best Tracker matches for an export's values and people, with how each was found and how sure it is.

Used by ``migrator init``. The target is the fixture/snapshot dict (``docs/architecture.md``), read
from the live org, a snapshot file or the sandbox — never called from here.

Values (type, status, priority, resolution, link, components, versions), first hit wins:

1. the preset's own map, when its target exists in this org (``preset map``, sure);
2. the Tracker key or name itself (``exact``), or ignoring case and spaces (``same name``), sure;
3. a known synonym, in English and the locales exports come in (``synonym``, likely) —
   :data:`SYNONYMS`;
4. the closest key or name by similarity, at least :data:`FUZZY_CUTOFF` (``fuzzy``, review);
5. what the preset does with values it does not map, when it decided that — ``unmapped: ignore``
   (left out: ``null``) or ``unmapped: default`` with a default the target has — (review): a
   component or version the queue lacks is left out, as the preset says, and shown for review;
6. otherwise ``"?"``: undecided, ``validate`` blocks until the user decides.

People: e-mail, then login, then display name (all sure); the e-mail's local part as a login, or
a display name close enough (review); else the preset's ``users.fallback`` (their texts keep
"Originally by …"), or ``"?"`` when the preset has none.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migrator.mapping.config import MappingConfig
from migrator.mapping.target_info import TargetInfo
from migrator.mapping.undecided import UNDECIDED
from migrator.presets.survey import Person

FUZZY_CUTOFF = 0.75
SURE, LIKELY, REVIEW, UNDECIDED_LEVEL = "sure", "likely", "review", "undecided"

# Tracker key -> words exports use for it (casefolded; English first, then de, es, fr, it, pt, ru, …).
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "status": {
        "open": ("open", "new", "to do", "todo", "backlog", "reopened", "unstarted", "planned", "triage",
                 "submitted", "assigned", "accepted", "confirmed", "unconfirmed", "offen", "neu", "zu erledigen",
                 "abierto", "nuevo", "por hacer", "pendiente", "ouvert", "nouveau", "à faire", "aperto",
                 "nuovo", "aberto", "novo", "a fazer", "открыт", "открыто", "новый", "новая", "к выполнению",
                 "сделать"),
        "inProgress": ("in progress", "doing", "started", "in development", "active", "in review", "review",
                       "code review", "testing", "in test", "qa", "in arbeit", "in bearbeitung", "en curso",
                       "en progreso", "en cours", "in corso", "em andamento", "em progresso", "fazendo",
                       "в работе", "в процессе", "выполняется"),
        "needInfo": ("need info", "needs info", "feedback", "waiting", "on hold", "blocked", "paused",
                     "warten", "rückfrage", "en espera", "en attente", "in attesa", "aguardando",
                     "ждёт ответа", "ждет ответа", "на паузе", "требуется информация"),
        "resolved": ("resolved", "fixed", "verified", "delivered", "gelöst", "erledigt", "resuelto",
                     "résolu", "risolto", "resolvido", "решен", "решён", "решено"),
        "closed": ("closed", "done", "complete", "completed", "finished", "cancelled", "canceled", "rejected",
                   "won't do", "geschlossen", "fertig", "abgeschlossen", "cerrado", "hecho",
                   "terminado", "fermé", "terminé", "chiuso", "fatto", "fechado", "concluído", "feito",
                   "закрыт", "закрыто", "готово", "выполнено"),
    },
    "type": {
        "bug": ("bug", "defect", "error", "incident", "problem", "fehler", "défaut", "anomalie",
                "difetto", "erro", "defeito", "ошибка", "баг", "дефект"),
        "task": ("task", "sub-task", "subtask", "sub task", "chore", "todo", "aufgabe", "unteraufgabe",
                 "tarea", "subtarea", "tâche", "sous-tâche", "attività", "compito", "tarefa", "subtarefa",
                 "задача", "подзадача"),
        "story": ("story", "user story", "feature", "new feature", "requirement", "product backlog item",
                  "geschichte", "historia", "historia de usuario", "récit", "storia", "história",
                  "item de backlog do produto", "история", "пользовательская история"),
        "epic": ("epic", "initiative", "feature group", "epos", "épica", "épique", "epica", "épico", "эпик"),
        "improvement": ("improvement", "enhancement", "change request", "verbesserung", "mejora",
                        "amélioration", "miglioramento", "melhoria", "улучшение", "доработка"),
    },
    "priority": {
        "blocker": ("blocker", "highest", "urgent", "p0", "immediate", "blockierend", "bloqueante",
                    "bloquant", "bloccante", "блокер", "блокирующий", "наивысший"),
        "critical": ("critical", "high", "major", "p1", "hoch", "kritisch", "alta", "crítica", "haute",
                     "élevée", "critique", "высокий", "критический"),
        "normal": ("normal", "medium", "moderate", "p2", "mittel", "media", "moyenne", "normale", "média",
                   "средний", "нормальный"),
        "minor": ("minor", "low", "p3", "niedrig", "baja", "basse", "bassa", "baixa", "низкий", "незначительный"),
        "trivial": ("trivial", "lowest", "p4", "none", "no priority", "sehr niedrig", "trivial", "mínima",
                    "très basse", "minima", "тривиальный", "самый низкий"),
    },
    "resolution": {
        "fixed": ("fixed", "done", "completed", "resolved", "implemented", "behoben", "erledigt", "corregido",
                  "hecho", "corrigé", "risolto", "corrigido", "исправлен", "исправлено", "готово"),
        "wontFix": ("won't fix", "wont fix", "won't do", "wontfix", "not planned", "rejected", "declined",
                    "wird nicht behoben", "no se corregirá", "ne sera pas corrigé", "não será corrigido",
                    "не будет исправлено", "отклонено"),
        "duplicate": ("duplicate", "duplicated", "dupe", "duplikat", "duplicado", "doublon", "duplicato",
                      "дубликат"),
        "invalid": ("invalid", "cannot reproduce", "can't reproduce", "incomplete", "works for me",
                    "worksforme", "not a bug", "ungültig", "kann nicht reproduziert werden", "inválido",
                    "no reproducible", "invalide", "non valido", "некорректно", "не воспроизводится"),
        "later": ("later", "postponed", "deferred", "remind", "später", "más tarde", "plus tard", "depois",
                  "позже", "отложено"),
    },
    "link": {
        "relates": ("relates", "relates to", "related", "related to", "relates_to", "relation",
                    "bezieht sich auf", "se relaciona con", "связана с", "связано с"),
        "depends on": ("depends on", "is blocked by", "blocked by", "blocked_by", "depends_on", "is_blocked_by",
                       "hängt ab von", "wird blockiert von", "depende de", "зависит от", "блокируется"),
        "is dependent by": ("blocks", "is blocking", "blocking", "blocks_issue", "blockiert", "bloquea",
                            "блокирует"),
        "duplicates": ("duplicates", "is duplicate of", "duplicate of", "duplicate_of", "dupe of",
                       "dupliziert", "duplica a", "дублирует"),
        "is duplicated by": ("is duplicated by", "duplicated by", "has duplicate", "wird dupliziert von",
                             "дублируется"),
        "is subtask for": ("is subtask for", "subtask of", "child of", "is child of", "parent",
                           "is sub-task of", "подзадача для"),
        "is parent task for": ("is parent task for", "parent of", "is parent of", "child", "has subtask"),
        "has epic": ("has epic", "epic", "epic link", "in epic", "belongs to epic"),
        "is epic of": ("is epic of", "epic of"),
        "clone": ("is cloned by", "cloned by", "clone"),
        "original": ("clones", "is clone of", "clone of", "original"),
    },
}  # fmt: skip


@dataclass(frozen=True)
class Choice:
    """The answer for one source value or person, and how it was found."""

    target: str | None  # a Tracker key/name/relationship/login; UNDECIDED = "?"
    how: str  # what the comment says
    level: str  # sure | likely | review | undecided

    @property
    def review(self) -> bool:
        return self.level in (REVIEW, UNDECIDED_LEVEL)


@dataclass(frozen=True)
class Option:
    key: str
    name: str | None = None


class TargetCatalogue:
    """The target's options per value-mapped field, from the fixture/snapshot dict."""

    def __init__(self, data: Mapping[str, Any], info: TargetInfo) -> None:
        self.info = info
        self.options: dict[str, list[Option]] = {
            "status": _options(data.get("statuses")),
            "type": _options(data.get("issue_types")),
            "priority": _options(data.get("priorities")),
            "resolution": _options(data.get("resolutions")),
            "link": [Option(r) for r in sorted(info.link_relationships())],
            "components": [Option(name) for name in info.components()],
            "versions": [Option(name) for name in info.versions()],
        }

    def has(self, field: str, value: str) -> bool:
        return any(value in (o.key, o.name) for o in self.options.get(field, []))


def _options(records: Any) -> list[Option]:
    return [
        Option(str(r["key"]), r.get("name")) for r in records or [] if isinstance(r, dict) and r.get("key")
    ]


def _fold(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


def match_value(field: str, value: str, config: MappingConfig, catalogue: TargetCatalogue) -> Choice:
    """The best Tracker value for one source value of ``field`` (see the module docstring)."""
    options = catalogue.options.get(field, [])
    vmap = config.values.get(field)
    if vmap is not None:
        found, target = vmap.lookup(value)
        if found and target is None:
            return Choice(None, "the preset drops it (null)", SURE)
        if found and target is not None and target != UNDECIDED and catalogue.has(field, target):
            return Choice(target, "the preset's map", SURE)
    folded = _fold(value)
    for option in options:
        if value == option.key or value == option.name:
            return Choice(option.key, "exact", SURE)
    for option in options:
        if folded in (_fold(option.key), _fold(option.name or "")):
            return Choice(option.key, "same name, ignoring case", SURE)
    for key, words in SYNONYMS.get(field, {}).items():
        if folded in words and any(o.key == key for o in options):
            return Choice(key, "synonym", LIKELY)
    best = _fuzzy(folded, options)
    if best is not None:
        option, score = best
        return Choice(option.key, f"fuzzy, similarity {score:.2f}", REVIEW)
    if vmap is not None and vmap.unmapped == "ignore":
        return Choice(None, "no match in the target: left out (the preset's unmapped: ignore)", REVIEW)
    if vmap is not None and vmap.unmapped == "default" and vmap.default not in (None, UNDECIDED):
        if catalogue.has(field, str(vmap.default)):
            return Choice(str(vmap.default), "no match in the target: the preset's default", REVIEW)
    return Choice(UNDECIDED, "no plausible match", UNDECIDED_LEVEL)


def _fuzzy(folded: str, options: Sequence[Option]) -> tuple[Option, float] | None:
    best: tuple[Option, float] | None = None
    for option in options:
        for text in (option.key, option.name):
            if not text:
                continue
            score = difflib.SequenceMatcher(None, folded, _fold(text)).ratio()
            if score >= FUZZY_CUTOFF and (best is None or score > best[1]):
                best = (option, score)
    return best


def match_person(person: Person, config: MappingConfig, info: TargetInfo) -> Choice:
    """The Tracker login for one person of the export (see the module docstring)."""
    users = list(info.users())
    explicit = _explicit(person, config)
    if explicit is not None and explicit != UNDECIDED and any(u.login == explicit for u in users):
        return Choice(explicit, "the preset's users.map", SURE)
    email = person.email or (person.name if "@" in person.name else None)
    for label, wanted, attribute in (
        ("e-mail", email, "email"),
        ("login", person.name, "login"),
        ("display name", person.display or person.name, "display"),
    ):
        if not wanted:
            continue
        hits = [u for u in users if _fold(str(getattr(u, attribute) or "")) == _fold(wanted)]
        if len(hits) == 1:
            return Choice(hits[0].login, f"same {label}", SURE)
    if email:
        local = _fold(email.split("@", 1)[0])
        hits = [u for u in users if _fold(u.login) == local]
        if len(hits) == 1:
            return Choice(hits[0].login, "the e-mail's name part is a login", REVIEW)
    named = _fuzzy_person(person, users)
    if named is not None:
        return named
    if config.users.fallback:
        return Choice(config.users.fallback, "no Tracker user matches: the preset's users.fallback", LIKELY)
    return Choice(UNDECIDED, "no Tracker user matches and the preset has no users.fallback", UNDECIDED_LEVEL)


def _explicit(person: Person, config: MappingConfig) -> str | None:
    wanted = {_fold(x) for x in (person.name, person.email, person.display) if x}
    for key, login in config.users.map.items():
        if _fold(key) in wanted:
            return login
    return None


def _fuzzy_person(person: Person, users: Sequence[Any]) -> Choice | None:
    name = _fold(person.display or person.name)
    best: tuple[Any, float] | None = None
    for user in users:
        if not user.display:
            continue
        score = difflib.SequenceMatcher(None, name, _fold(user.display)).ratio()
        if score >= 0.85 and (best is None or score > best[1]):
            best = (user, score)
    if best is None:
        return None
    return Choice(best[0].login, f"display name {best[0].display!r}, similarity {best[1]:.2f}", REVIEW)
