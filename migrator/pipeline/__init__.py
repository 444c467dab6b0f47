"""The glue shared by ``run``, ``validate`` and ``verify``: export → planned issues, in one pass.

* ``prepared`` — :class:`PreparedRun` (streams the planned issues once, then ``finish()``) and the one options
  object,
  :class:`PrepareOptions`;
* ``global_checks`` — :class:`GlobalIndex`: checks across issues (duplicates, dangling references,
  parent cycles, key collisions);
* ``tally`` — :class:`Tally` (counts) and :func:`estimate` (API calls and duration);
* ``read_ahead`` — :class:`ReadAhead`: the sources stage in a child process for large exports.

Import from the modules themselves: this package imports nothing, so that the read-ahead child
(which imports ``read_ahead``, hence this package) does not load the transform and markup stack
it never uses — that cost it 0.8 s before its first issue.
"""
