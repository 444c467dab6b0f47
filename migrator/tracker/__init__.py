"""The Tracker HTTP client: settings, typed errors, shared rate limiter, target metadata."""

from migrator.tracker.client import TrackerClient
from migrator.tracker.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    ForeignURL,
    InvalidResponse,
    Locked,
    NotFound,
    OutcomeUnknown,
    PayloadTooLarge,
    PreconditionFailed,
    RateLimited,
    ServerError,
    TrackerError,
    TrackerUnavailable,
    Unauthorized,
    UnprocessableEntity,
    UnsendableRequest,
)
from migrator.tracker.metadata import TargetMetadata
from migrator.tracker.ratelimit import RateLimiter
from migrator.tracker.settings import RetryPolicy, TrackerSettings

__all__ = [
    "BadRequest",
    "Conflict",
    "Forbidden",
    "ForeignURL",
    "InvalidResponse",
    "Locked",
    "NotFound",
    "OutcomeUnknown",
    "PayloadTooLarge",
    "PreconditionFailed",
    "RateLimited",
    "RateLimiter",
    "RetryPolicy",
    "ServerError",
    "TargetMetadata",
    "TrackerClient",
    "TrackerError",
    "TrackerSettings",
    "TrackerUnavailable",
    "Unauthorized",
    "UnprocessableEntity",
    "UnsendableRequest",
]
