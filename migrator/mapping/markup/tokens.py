"""What a conversion hands on besides its YFM: the pointers in the text (tokens), as spans.

A converter cannot finish a text on its own: the Tracker key of a referenced issue and the id of an
embedded file are known only after the import. So every issue reference, embedded file and mention
becomes a token, whose *default* rendering (what the text says while nothing is resolved) is in
``ConvertedText.text`` and whose place is a :class:`Span`; ``render.render_text`` later replaces the
spans without converting again. How converters produce them: ``context.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.mapping.markup.yfm import code_span

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".webp", ".tif", ".tiff")

# Where a span sits, which decides how a resolved pointer is written there.
TEXT = "text"  # running text
LINK_TEXT = "link_text"  # inside the text of a link: never becomes a link itself
LINK_TARGET = "link_target"  # the URL of a link: a Tracker key becomes "/KEY"
AUTOLINK = "autolink"  # a whole ``<url>``: a Tracker key replaces it


@dataclass(frozen=True)
class IssueRef:
    """A reference to a source issue. ``key`` is the issue's key in the export (``PROJ-12``, ``45``,
    ``other/repo#3``) — the key of the ``issues`` map given to ``render_text``."""

    key: str
    written: str  # exactly as the source wrote it
    url: str | None = None  # the old tracker's page of the issue, when its base URL is known

    def default(self) -> str:
        return self.written


@dataclass(frozen=True)
class FileRef:
    """An embedded file (inline image or attachment link). ``keys`` are tried in order against the
    ``files`` map (a file name, an attachment id, an upload path, ``asana:<gid>``...)."""

    keys: tuple[str, ...]
    name: str  # link text / alt text
    image: bool
    fallback: str  # what the text says while the file is not resolved
    external: bool = False  # the fallback still shows the file (from its original URL)
    width: str = ""
    height: str = ""

    def default(self) -> str:
        return self.fallback

    @property
    def written(self) -> str:
        return self.name


@dataclass(frozen=True)
class Mention:
    """A person named in the text. ``login`` is the Tracker login found at conversion (or None)."""

    name: str  # as the source identifies the person (login, account id, e-mail, gid)
    label: str  # what to show when the person is not mapped
    login: str | None
    written: str = ""

    def default(self) -> str:
        return mention_text(self.login, self.label)


Token = IssueRef | FileRef | Mention


def mention_text(login: str | None, label: str) -> str:
    """``@login`` for a mapped person; an unmapped one as inline code, which pings nobody."""
    return f"@{login}" if login else code_span(f"@{label.lstrip('@')}")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    token: Token
    context: str = TEXT


@dataclass
class ConvertedText:
    """YFM plus what a later pass needs. ``text`` is the rendering with nothing resolved: issue
    references as written, files by their fallback, mentions as found at conversion."""

    text: str
    lossy: list[str] = field(default_factory=list)  # kinds of lossy conversions, in order of appearance
    spans: tuple[Span, ...] = ()
