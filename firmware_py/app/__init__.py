"""Who builds what: ``build`` makes the real adapters (model, foot stage, pipeline)
from the command line, and ``service`` builds and supervises the whole device for
``kneecue run`` (console, outputs, recorder, monitor, watchdog)."""
