"""The glue shared by ``run``, ``validate`` and ``verify``: export → planned issues, in one pass.

* ``prepared`` — :class:`PreparedRun` (streams the planned issues once, then ``finish()``) and the one options
  object,
  :class:`PrepareOptions`;
* ``global_checks`` — :class:`GlobalIndex`: checks across issues (duplicates, dangling references,
  parent cycles, key collisions);
* ``tally`` — :class:`Tally` (counts) and :func:`estimate` (API calls and duration).
"""

from migrator.pipeline.prepared import PreparedRun, PrepareOptions, Stages

__all__ = ["PrepareOptions", "PreparedRun", "Stages"]
