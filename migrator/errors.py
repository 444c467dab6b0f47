"""User-facing fatal errors: the CLI prints them as one clear message (never a traceback) and exits."""

from __future__ import annotations


class MigratorError(Exception):
    """A problem the user must fix before anything can run. ``str()`` is the complete message."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message}\n  hint: {hint}")

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled as it is, whatever a subclass's constructor takes: the export is read in a child
        # process (``pipeline/read_ahead.py``), whose errors are raised again in the parent.
        return (_restore, (type(self), self.args, self.__dict__))


class ConfigError(MigratorError):
    """The mapping file (or another configuration file) is wrong. ``problems`` lists every one found."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems
        body = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{file}: {len(problems)} problem(s) in the configuration:\n{body}")


def _restore(cls: type[MigratorError], args: tuple[object, ...], state: dict[str, object]) -> MigratorError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error
