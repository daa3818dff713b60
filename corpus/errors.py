"""Domain errors raised inside casebank and translated to messages only at the edges."""


class CasebankError(Exception):
    """Base class of every error casebank reports to a user."""

    #: HTTP status the web layer uses when it translates this error.
    status = 500


class NotFound(CasebankError):
    """A case, organisation or run that does not exist."""

    status = 404


class InvalidInput(CasebankError):
    """Input from a user that cannot be used as given (bad filter, bad id ...)."""

    status = 400


class SourceError(CasebankError):
    """A source could not be read at all (missing file, unreachable API, broken zip)."""

    status = 502


class IndexMissing(CasebankError):
    """The search index is absent, corrupt or built with another model."""

    status = 503


class LockHeld(CasebankError):
    """Another ingest run holds the lock."""

    status = 409
