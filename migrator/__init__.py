"""migrator: move issue history from other trackers into Yandex Tracker."""

__version__ = "0.1.0"
