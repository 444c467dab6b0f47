"""Presets: the ready mappings in ``mappings/``, recognising an export, and starting a user's mapping.

* :mod:`registry` — where the presets are (also in an installed package) and ``--preset NAME``;
* :mod:`detect` — the ``detect:`` signatures tried on a SOURCE, bounded reads only;
* :mod:`survey` — what an export holds, read through a preset in dry mode;
* :mod:`inspection` — ``migrator inspect`` (text and ``--json``);
* :mod:`matching` and :mod:`init_mapping` — ``migrator init``: the preset with every value and
  person pre-filled from the target's metadata, each with how it matched.
"""
