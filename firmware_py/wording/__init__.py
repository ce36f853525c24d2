"""The coach's words: what the core measured and decided, as the console says it.

The core gives data only (``core.procedures.Notice``, ``core.reps.Rep``); the
console, ``kneecue analyze``, ``kneecue calibrate`` and the session report put it
into words here, so each sentence is written once and the core stays free of
wording.  ``notices`` words the guided procedures, ``reps`` a rep and the fault
pattern it fits.
"""

from firmware_py.wording.drills import drill_words, landing_line, step_line
from firmware_py.wording.notices import notice_text
from firmware_py.wording.reps import pattern_words, rep_line, rep_result

__all__ = ["drill_words", "landing_line", "notice_text", "pattern_words", "rep_line", "rep_result", "step_line"]
